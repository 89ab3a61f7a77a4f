package io.patchfleet.platform.admin;

import java.util.List;

/**
 * One bundle as an operator sees it.
 *
 * @param id        the framework's bundle id
 * @param symbolicName its symbolic name
 * @param version   its version
 * @param state     INSTALLED, RESOLVED, STARTING, ACTIVE, STOPPING or FRAGMENT
 * @param signer    who vouched for the bytes: the name of the trusted key that signed it,
 *     {@code distribution} for the profile's own bundles, {@code unsigned} when accepted under the
 *     development switch, {@code unknown} for bundles installed by other means
 * @param sha256    SHA-256 of the jar as installed through the manager, or null when unknown
 * @param location  the framework location
 * @param services  the service interfaces it registers
 * @param components its Declarative Services components with their state
 */
public record PluginInfo(long id, String symbolicName, String version, String state, String signer, String sha256,
        String location, List<String> services, List<ComponentState> components) {

    public PluginInfo {
        services = List.copyOf(services);
        components = List.copyOf(components);
    }

    /** A component of the bundle: name and state (ACTIVE, SATISFIED, UNSATISFIED_REFERENCE, …, DISABLED), failure if any. */
    public record ComponentState(String name, String state, String failure) {}
}
