package io.patchfleet.server.admin.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.store.api.AuditEntry;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.StoreException;

/**
 * Appends the entry of a change that has been made: actor, action, target, and the state before
 * and after as JSON. The change is already durable; if the entry cannot be written the failure
 * is logged loudly (the change is not undone, as the AuditLog contract says).
 */
final class Audit {
    private static final Logger LOG = LoggerFactory.getLogger(Audit.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditLog log;

    Audit(AuditLog log) {
        this.log = log;
    }

    void record(String actor, String action, String target, Object before, Object after) {
        try {
            log.append(actor, action, cut(target, 512), json(before), json(after));
        } catch (StoreException | RuntimeException e) {
            LOG.error("AUDIT ENTRY LOST: actor={} action={} target={}: {}", actor, action, target, e.getMessage(), e);
        }
    }

    private static String json(Object value) {
        if (value == null) {
            return "";
        }
        try {
            return cut(JSON.writeValueAsString(value), AuditEntry.MAX_STATE);
        } catch (JsonProcessingException e) {
            return cut(String.valueOf(value), AuditEntry.MAX_STATE);
        }
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
