/**
 * Reading a Linux kernel module file ({@code .ko}) without loading it: the key=value pairs of
 * its {@code .modinfo} ELF section (name, vermagic, the {@code livepatch} flag) and its machine
 * architecture. The publisher uses it to fill a patch's kernel fields and to refuse files that
 * are not livepatch modules; the client uses it to check, before {@code finit_module}, that a
 * module was built for exactly the running kernel.
 *
 * <p>Plain value code, no services: safe to call from any thread.
 */
@Export
@Version("1.0.0")
package io.patchfleet.kernel.module;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
