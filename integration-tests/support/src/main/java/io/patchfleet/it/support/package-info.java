/** Assertions shared by the in-framework tests of every profile. */
@Export
@Version("1.0.0")
package io.patchfleet.it.support;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
