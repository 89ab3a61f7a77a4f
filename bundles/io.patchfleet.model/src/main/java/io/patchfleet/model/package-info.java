/**
 * The Patchfleet domain model.
 */
@Export
@Version("1.0.0")
package io.patchfleet.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
