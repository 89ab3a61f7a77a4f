package io.patchfleet.server.http.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.patchfleet.server.api.Route;

/**
 * An immutable table of routes, rebuilt whenever a route service comes or goes. Lookups are
 * lock-free: the router swaps the whole table through a volatile field, so a route bundle that
 * is updated at run time never stalls a request.
 */
final class RouteTable {

    /** A route with its template split into segments and its service order. */
    record Entry(Route route, String[] segments, int ranking, long serviceId) {
        String template() {
            return route.path();
        }
    }

    /** The outcome of a lookup. */
    sealed interface Match permits Found, MethodNotAllowed, NotFound {}

    record Found(Entry entry, Map<String, String> parameters) implements Match {}

    record MethodNotAllowed(Set<String> allowed, String template) implements Match {}

    record NotFound() implements Match {}

    static final RouteTable EMPTY = new RouteTable(List.of());

    private final List<Entry> entries;

    RouteTable(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        // Highest ranking first, then oldest service: the first match in this order serves.
        sorted.sort(Comparator.comparingInt(Entry::ranking).reversed().thenComparingLong(Entry::serviceId));
        this.entries = List.copyOf(sorted);
    }

    static String[] split(String path) {
        String trimmed = path.startsWith("/") ? path.substring(1) : path;
        if (trimmed.isEmpty()) {
            return new String[0];
        }
        return trimmed.split("/", -1);
    }

    RouteTable with(Entry entry) {
        List<Entry> copy = new ArrayList<>(entries);
        copy.add(entry);
        return new RouteTable(copy);
    }

    RouteTable without(Route route) {
        List<Entry> copy = new ArrayList<>(entries);
        copy.removeIf(e -> e.route() == route); // by identity, never by class
        return new RouteTable(copy);
    }

    int size() {
        return entries.size();
    }

    Match find(String method, String path) {
        String[] request = split(path);
        Set<String> allowed = new TreeSet<>();
        Found best = null;
        int bestLiterals = -1;
        String pathTemplate = null;
        for (Entry entry : entries) {
            Map<String, String> params = match(entry.segments(), request);
            if (params == null) {
                continue;
            }
            int literals = entry.segments().length - params.size();
            String routeMethod = entry.route().method();
            if (routeMethod.equals(method) || ("HEAD".equals(method) && "GET".equals(routeMethod))) {
                // More literal segments win; among equals the table order (ranking) decides.
                if (literals > bestLiterals) {
                    best = new Found(entry, params);
                    bestLiterals = literals;
                }
            } else {
                allowed.add(routeMethod);
                if ("GET".equals(routeMethod)) {
                    allowed.add("HEAD");
                }
                pathTemplate = entry.template();
            }
        }
        if (best != null) {
            return best;
        }
        if (!allowed.isEmpty()) {
            return new MethodNotAllowed(allowed, pathTemplate);
        }
        return new NotFound();
    }

    private static Map<String, String> match(String[] template, String[] request) {
        if (template.length != request.length) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.length() > 2 && t.startsWith("{") && t.endsWith("}")) {
                if (request[i].isEmpty()) {
                    return null;
                }
                params.put(t.substring(1, t.length() - 1), request[i]);
            } else if (!t.equals(request[i])) {
                return null;
            }
        }
        return params;
    }
}
