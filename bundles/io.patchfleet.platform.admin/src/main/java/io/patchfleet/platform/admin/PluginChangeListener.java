package io.patchfleet.platform.admin;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told of every change the {@link PluginManager} made, after it was made (whiteboard service).
 * The server registers one that appends to its audit log. Called on the manager's thread: must
 * return quickly and must not call back into the manager.
 */
@ConsumerType
public interface PluginChangeListener {
    void changed(PluginChange change);
}
