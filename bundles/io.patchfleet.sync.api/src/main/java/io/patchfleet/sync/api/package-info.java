/**
 * Upstream sync: how an on-prem server mirrors publisher metadata and patch modules from an
 * upstream server (HTTP with a sync token) or from an offline bundle (air gap), incrementally
 * and resumably.
 *
 * <p>Sources deliver bytes; they never decide what is trusted. The sync service verifies every
 * metadata file against the publisher root ({@code io.patchfleet.trust.api}) and every blob
 * against its signed SHA-256 and length before anything becomes visible, and mirrors metadata
 * verbatim.
 */
@Export
@Version("1.3.0")
package io.patchfleet.sync.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
