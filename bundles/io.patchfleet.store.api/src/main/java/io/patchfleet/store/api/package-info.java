/**
 * Server storage: the patch catalog, tiers, machines and their reports (a database, HSQLDB
 * embedded by default, PostgreSQL for scale-out) and content-addressed blobs (a filesystem).
 *
 * <p>All services are thread-safe and shared by every request thread and, with PostgreSQL, by
 * several server nodes. Unless a method says otherwise, each method call is one transaction:
 * it happens completely or not at all, and is durable when it returns ("nothing lost on
 * {@code kill -9}"). There is no transaction spanning several calls or several stores; where
 * two stores must agree (a catalog entry and its blob) the order of writes is specified so a
 * crash between them leaves only garbage for retention to collect, never a dangling reference.
 *
 * <p>Failures are {@link io.patchfleet.store.api.StoreException}, checked, with a reason that
 * tells a caller whether retrying may help. Invalid arguments are rejected with
 * {@link java.lang.IllegalArgumentException} / {@link java.lang.NullPointerException} before
 * anything is written. No method returns {@code null}.
 *
 * <p><b>Services.</b> {@link io.patchfleet.store.api.TierStore} (ordered tiers: create, delete,
 * reorder), {@link io.patchfleet.store.api.PatchCatalog} (releases, promotion, revocation),
 * {@link io.patchfleet.store.api.MachineStore} (machines, reports, filters, patch health,
 * report retention), {@link io.patchfleet.store.api.EnrollmentStore} (tier-bound enrollment
 * tokens with expiry, use limit and revocation; machine credentials stored as SHA-256 only;
 * idempotent re-enrollment that rotates the credential), {@link io.patchfleet.store.api.AuditLog}
 * (who changed what, before and after, when), {@link io.patchfleet.store.api.UserStore}
 * (administrator accounts with hashed passwords and lockout bookkeeping), {@link io.patchfleet.store.api.UpstreamWithdrawals}
 * (why a release is revoked, releases the upstream withdrew, an admin's decision to keep one: "enabled (!)"),
 * {@link io.patchfleet.store.api.DownstreamReports} (opt-in reports of downstream servers, kept by their upstream)
 * and {@link io.patchfleet.store.api.BlobStore} (content-addressed files). The database services share one schema and may be implemented by
 * one provider; callers depend only on these interfaces, so the embedded HSQLDB provider and a
 * PostgreSQL provider are interchangeable.
 *
 * <p><b>Time.</b> Times the store stamps itself (receive times, token creation, audit entries,
 * token expiry checks) come from the provider's clock, not the caller's; callers that need a
 * machine's own clock find it in the report.
 */
@Export
@Version("1.4.0")
package io.patchfleet.store.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
