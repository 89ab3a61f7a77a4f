package io.patchfleet.server.http.internal;

import java.io.IOException;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletErrorPage;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Errors raised by the container before a request reaches the router (a malformed URI, a body
 * the container refuses) are answered as JSON too, never with Jetty's HTML page.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletErrorPage(errorPage = {"4xx", "5xx"})
public class ErrorPageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Object code = req.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i ? i : 500;
        Object message = req.getAttribute(RequestDispatcher.ERROR_MESSAGE);
        String text = message instanceof String s && !s.isBlank() ? s : "HTTP " + status;
        JsonErrors.write(resp, status, JsonErrors.codeFor(status), text);
    }
}
