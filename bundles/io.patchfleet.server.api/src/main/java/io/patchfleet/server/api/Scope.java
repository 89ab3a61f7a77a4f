package io.patchfleet.server.api;

/**
 * Who may call a route. Every route declares exactly one scope; the router checks it before
 * the route sees the request. Machine, admin and sync credentials are separate: a credential
 * of one scope is never accepted for another.
 */
public enum Scope {
    /** No credential: health, metrics, enrollment with a token carried in the body. */
    PUBLIC,
    /** An enrolled machine's credential. */
    MACHINE,
    /** An administrator's credential. */
    ADMIN,
    /** A downstream server's sync token. */
    SYNC
}
