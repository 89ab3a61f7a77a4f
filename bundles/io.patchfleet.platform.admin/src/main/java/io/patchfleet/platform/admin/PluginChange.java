package io.patchfleet.platform.admin;

import java.util.Map;

/**
 * A change the manager made (or rolled back): who, what, on which target, the state before and
 * after. {@code before}/{@code after} are small maps (bundle: version, state, sha256, signer;
 * configuration: its properties with passwords masked), null when nothing existed.
 *
 * @param actor  who asked
 * @param action {@code plugin.install}, {@code plugin.update}, {@code plugin.start},
 *     {@code plugin.stop}, {@code plugin.uninstall}, {@code plugin.rollback},
 *     {@code plugin.recover}, {@code config.set}, {@code config.delete}
 * @param target the bundle's symbolic name or the PID
 */
public record PluginChange(String actor, String action, String target, Map<String, Object> before, Map<String, Object> after) {}
