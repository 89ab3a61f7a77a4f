package io.patchfleet.client.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The proxy for each server URL: the {@code http-proxy} / {@code https-proxy} settings, else the
 * environment ({@code http_proxy}, {@code https_proxy}, upper case too, as curl reads them),
 * except for hosts in {@code no-proxy} (else {@code no_proxy}): exact names, {@code .domain} or
 * {@code domain} suffixes, and {@code *} for all. The JDK's own selector ignores the environment
 * and {@code no_proxy}, hence this one.
 */
final class ProxySettings extends ProxySelector {
    private final URI httpProxy;
    private final URI httpsProxy;
    private final List<String> noProxy;

    ProxySettings(String httpProxy, String httpsProxy, String noProxy, Map<String, String> env) {
        this.httpProxy = uri(first(httpProxy, env.get("http_proxy"), env.get("HTTP_PROXY")));
        this.httpsProxy = uri(first(httpsProxy, env.get("https_proxy"), env.get("HTTPS_PROXY")));
        String hosts = first(noProxy, env.get("no_proxy"), env.get("NO_PROXY"));
        this.noProxy = new ArrayList<>();
        if (hosts != null) {
            for (String h : hosts.split(",")) {
                String t = h.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    this.noProxy.add(t);
                }
            }
        }
    }

    @Override
    public List<Proxy> select(URI uri) {
        URI proxy = "https".equalsIgnoreCase(uri.getScheme()) ? httpsProxy : httpProxy;
        if (proxy == null || bypass(uri.getHost())) {
            return List.of(Proxy.NO_PROXY);
        }
        int port = proxy.getPort() > 0 ? proxy.getPort() : ("https".equals(proxy.getScheme()) ? 443 : 80);
        return List.of(new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(proxy.getHost(), port)));
    }

    boolean bypass(String host) {
        if (host == null) {
            return true;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        for (String n : noProxy) {
            if (n.equals("*")) {
                return true;
            }
            String bare = n.startsWith(".") ? n.substring(1) : n;
            int colon = bare.lastIndexOf(':');
            if (colon > 0 && bare.indexOf(':') == colon) {
                bare = bare.substring(0, colon); // host:port: the port is not matched
            }
            if (h.equals(bare) || h.endsWith("." + bare)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // nothing to learn: the next check-in tries again
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }

    private static URI uri(String value) {
        if (value == null) {
            return null;
        }
        return URI.create(value.contains("://") ? value : "http://" + value);
    }
}
