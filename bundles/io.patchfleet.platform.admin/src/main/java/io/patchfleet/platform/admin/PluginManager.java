package io.patchfleet.platform.admin;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Changes the running framework: bundles and their configuration. Every change runs on one
 * thread, one at a time, and is transactional: after an install or update the manager waits
 * (bounded) for the bundle to resolve and start and for its Declarative Services components and
 * every component that was satisfied before to be satisfied again; otherwise it puts the previous
 * bundle and configuration back and throws {@link PluginException} with code
 * {@code rolled-back} and what failed.
 *
 * <p>A bundle is named by its id or its symbolic name. {@code actor} is who asked (an admin user,
 * {@code deploy-folder}, {@code local-client}); it is recorded with the change.
 */
@ProviderType
public interface PluginManager {

    /** Every bundle of the framework, by id. */
    List<PluginInfo> list();

    /** One bundle by id or symbolic name; {@code not-found} if there is none. */
    PluginInfo get(String bundle) throws PluginException;

    /**
     * Installs a new bundle from a jar and starts it.
     *
     * @param signature the detached signature ({@link PluginSignature} text), or null: refused
     *     with {@code unsigned} unless unsigned plugins are allowed
     * @throws PluginException {@code unsigned}, {@code bad-signature}, {@code untrusted-key},
     *     {@code invalid-jar}, {@code conflict} (that symbolic name is installed: update it), or
     *     {@code rolled-back}
     */
    PluginInfo install(byte[] jar, byte[] signature, String actor) throws PluginException;

    /** Replaces a bundle with a jar of the same symbolic name; the same checks as install. */
    PluginInfo update(String bundle, byte[] jar, byte[] signature, String actor) throws PluginException;

    PluginInfo start(String bundle, String actor) throws PluginException;

    PluginInfo stop(String bundle, String actor) throws PluginException;

    /** Uninstalls a bundle an admin installed; profile bundles are stopped instead ({@code conflict}). */
    PluginInfo uninstall(String bundle, String actor) throws PluginException;

    /** The configuration of a PID with its metatype; {@code not-found} when neither exists. */
    ConfigInfo config(String pid) throws PluginException;

    /**
     * Merges {@code values} into the configuration of {@code pid} after checking each against the
     * PID's metatype. An invalid value refuses the whole change with {@code invalid-config} and one
     * {@link PluginException.Problem} per field; nothing is applied. If a component of the PID then
     * fails to activate, the previous configuration is put back ({@code rolled-back}).
     */
    ConfigInfo setConfig(String pid, Map<String, String> values, String actor) throws PluginException;

    /** Deletes the configuration of {@code pid}; the component falls back to its defaults. */
    ConfigInfo deleteConfig(String pid, String actor) throws PluginException;

    /** Whether jars without a valid signature are accepted (the development switch). */
    boolean allowsUnsigned();
}
