/**
 * The Patchfleet domain model: kernels, patch releases, CVEs, tiers, machines and what
 * machines report.
 *
 * <p>Every type here is an immutable value: records validate their fields in the compact
 * constructor and throw {@link java.lang.NullPointerException} for a missing field and
 * {@link java.lang.IllegalArgumentException} for a malformed one, so a value that exists is
 * valid. Lists and sets are copied on construction and unmodifiable. No accessor returns
 * {@code null}. All types are safe to share between threads.
 *
 * <p>Enums that travel over the wire ({@link io.patchfleet.model.PatchState},
 * {@link io.patchfleet.model.CheckState}, {@link io.patchfleet.model.KernelSupport},
 * {@link io.patchfleet.model.Severity}, {@link io.patchfleet.model.MachineEvent.Kind}) carry
 * their wire name ({@code wireName()}, e.g. {@code "apply-failed"}) and parse it back with
 * {@code fromWire(String)}; the Java constant names are not part of the protocol.
 */
@Export
@Version("1.0.0")
package io.patchfleet.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
