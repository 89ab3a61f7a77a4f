package io.patchfleet.server.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;

class RouteTableTest {

    record TestRoute(String method, String path) implements Route {
        @Override
        public Scope scope() {
            return Scope.PUBLIC;
        }

        @Override
        public ApiResponse handle(ApiRequest request) {
            return ApiResponse.empty(204);
        }
    }

    private static long ids;

    private static RouteTable with(RouteTable table, Route route, int ranking) {
        return table.with(new RouteTable.Entry(route, RouteTable.split(route.path()), ranking, ++ids));
    }

    @Test
    void literalSegmentsWinOverParameters() {
        Route byId = new TestRoute("GET", "/v1/machines/{id}");
        Route summary = new TestRoute("GET", "/v1/machines/summary");
        RouteTable table = with(with(RouteTable.EMPTY, byId, 0), summary, 0);

        RouteTable.Found found = assertInstanceOf(RouteTable.Found.class, table.find("GET", "/v1/machines/summary"));
        assertSame(summary, found.entry().route());

        RouteTable.Found param = assertInstanceOf(RouteTable.Found.class, table.find("GET", "/v1/machines/m-1"));
        assertSame(byId, param.entry().route());
        assertEquals(Map.of("id", "m-1"), param.parameters());
    }

    @Test
    void aPathWithOtherMethodsIs405WithTheAllowedOnes() {
        RouteTable table = with(with(RouteTable.EMPTY, new TestRoute("GET", "/v1/tiers"), 0), new TestRoute("POST", "/v1/tiers"), 0);
        RouteTable.MethodNotAllowed mna = assertInstanceOf(RouteTable.MethodNotAllowed.class, table.find("DELETE", "/v1/tiers"));
        assertEquals(Set.of("GET", "HEAD", "POST"), mna.allowed());
        assertInstanceOf(RouteTable.Found.class, table.find("HEAD", "/v1/tiers"), "HEAD is served by GET");
    }

    @Test
    void unknownPathsEmptySegmentsAndExtraSegmentsAreNotFound() {
        RouteTable table = with(RouteTable.EMPTY, new TestRoute("GET", "/v1/machines/{id}"), 0);
        assertInstanceOf(RouteTable.NotFound.class, table.find("GET", "/v1/machines/"));
        assertInstanceOf(RouteTable.NotFound.class, table.find("GET", "/v1/machines/a/b"));
        assertInstanceOf(RouteTable.NotFound.class, table.find("GET", "/v2/machines/a"));
    }

    @Test
    void higherRankingReplacesARouteAndRemovalIsByIdentity() {
        Route builtIn = new TestRoute("GET", "/v1/health");
        Route replacement = new TestRoute("GET", "/v1/health");
        RouteTable table = with(with(RouteTable.EMPTY, builtIn, 0), replacement, 10);
        assertSame(replacement, ((RouteTable.Found) table.find("GET", "/v1/health")).entry().route());

        // An equal route object of another instance must not remove the replacement.
        RouteTable without = table.without(new TestRoute("GET", "/v1/health"));
        assertEquals(2, without.size());
        assertSame(builtIn, ((RouteTable.Found) table.without(replacement).find("GET", "/v1/health")).entry().route());
    }
}
