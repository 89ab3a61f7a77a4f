/**
 * Routes of the Patchfleet server's HTTP API.
 *
 * <p>Every endpoint of the server (client API, sync API, admin API, health, metrics) is a
 * {@link io.patchfleet.server.api.Route} whiteboard service. One router (bundle
 * {@code io.patchfleet.server.http}) serves them all on Jetty through the OSGi servlet
 * whiteboard, so that JSON encoding, error bodies, body size limits, credentials per
 * {@link io.patchfleet.server.api.Scope} and request metrics are handled in one place. A bundle
 * that adds or replaces a route is picked up at run time, without a restart.
 */
@Export
@Version("1.1.0")
package io.patchfleet.server.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
