package io.patchfleet.client.internal;

import java.util.Map;

/**
 * One verb of the local control socket ({@code status}, later {@code enable}, {@code refresh} …),
 * registered as a whiteboard service with the property {@value #NAME}.
 *
 * <p>Called from the socket's connection threads, possibly concurrently; must be thread-safe.
 * Returns the JSON-ready result; throws {@link ControlException} for an expected failure the CLI
 * shows to the operator.
 */
public interface ControlCommand {
    /** Service property naming the verb. */
    String NAME = "patchfleet.control.command";

    Map<String, Object> execute(Map<String, Object> arguments) throws ControlException;
}
