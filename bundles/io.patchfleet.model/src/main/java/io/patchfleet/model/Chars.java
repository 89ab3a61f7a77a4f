package io.patchfleet.model;

/**
 * Character-class checks for the identifiers every check-in carries (machine id, kernel fields,
 * client version, digests). They replace regular expressions on the server's hot path: a
 * {@code Matcher} per field per request was 1–2 % of the server's CPU at 5,000 check-ins/s
 * (async-profiler, 2026-11-26). Each method states the expression it is equivalent to;
 * {@code CharsTest} checks the equivalence on random and mutated inputs.
 */
final class Chars {
    private Chars() {}

    static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean lowerOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || digit(c);
    }

    static boolean alnum(char c) {
        return lowerOrDigit(c) || (c >= 'A' && c <= 'Z');
    }

    /** {@code [0-9a-f]{64}} */
    static boolean hex64(String s) {
        if (s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!digit(c) && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    /** {@code [a-z0-9][a-z0-9_-]{0,127}} */
    static boolean machineId(String s) {
        int n = s.length();
        if (n < 1 || n > 128 || !lowerOrDigit(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = s.charAt(i);
            if (!lowerOrDigit(c) && c != '_' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** {@code [a-z0-9_]{1,32}} */
    static boolean architecture(String s) {
        int n = s.length();
        if (n < 1 || n > 32) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (!lowerOrDigit(c) && c != '_') {
                return false;
            }
        }
        return true;
    }

    /** {@code |[a-z][a-z0-9+_-]{0,31}} */
    static boolean flavour(String s) {
        int n = s.length();
        if (n == 0) {
            return true;
        }
        char first = s.charAt(0);
        if (n > 32 || first < 'a' || first > 'z') {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = s.charAt(i);
            if (!lowerOrDigit(c) && c != '+' && c != '_' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** {@code [\x20-\x7e]{0,256}} */
    static boolean printableAscii(String s, int max) {
        int n = s.length();
        if (n > max) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** {@code [A-Za-z0-9.+_~-]{1,64}} */
    static boolean clientVersion(String s) {
        int n = s.length();
        if (n < 1 || n > 64) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!versionChar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean versionChar(char c) {
        return alnum(c) || c == '.' || c == '+' || c == '_' || c == '~' || c == '-';
    }

    /**
     * {@code (\d+)\.(\d+)(?:\.(\d+))?[A-Za-z0-9._+~-]*}: digits, a dot, digits, then only
     * characters of the set (the optional third number is part of that set).
     */
    static boolean release(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && digit(s.charAt(i))) {
            i++;
        }
        if (i == 0 || i == n || s.charAt(i) != '.') {
            return false;
        }
        int minorStart = ++i;
        while (i < n && digit(s.charAt(i))) {
            i++;
        }
        if (i == minorStart) {
            return false;
        }
        for (; i < n; i++) {
            if (!versionChar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
