/**
 * The messages of the client–server protocol, version 1 (DESIGN.md §5), as JSON-mapped
 * records shared by the client and the server so the two cannot drift apart.
 *
 * <p>Routes (all JSON, under {@code /v1}):
 * <ul>
 * <li>{@code POST /v1/enroll} (public; the enrollment token is in the body):
 *     {@link EnrollRequest} → {@link EnrollResponse}. Enrolling a machine id again rotates its
 *     credential and answers 200 with the new one: re-enrollment is idempotent.</li>
 * <li>{@code POST /v1/check-in} (machine credential, {@code Authorization: Bearer …}):
 *     {@link CheckInRequest} → {@link CheckInResponse}. The server always records the report;
 *     with {@code If-None-Match} equal to the ETag of its current answer it replies 304 and no
 *     body.</li>
 * <li>{@code GET /v1/metadata/{file}} (machine credential): a TUF metadata file the server
 *     mirrors verbatim from the publisher ({@code timestamp.json}, {@code 7.snapshot.json}, …);
 *     the client verifies it as a TUF client, trusting nothing the server says about it.</li>
 * <li>{@code GET /v1/blobs/{sha256}} (machine credential): a module by content hash, with
 *     {@code Range} for resumed downloads.</li>
 * </ul>
 *
 * <p>Field values are plain strings, numbers and lists so that any JSON library maps them;
 * each record validates in its constructor and converts to the model types where they exist.
 * Unknown fields are refused by the server's strict reader, so a typo is an error, not a default.
 */
@Export
@Version("1.0.0")
package io.patchfleet.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
