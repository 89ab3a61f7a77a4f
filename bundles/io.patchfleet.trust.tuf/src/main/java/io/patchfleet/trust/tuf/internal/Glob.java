package io.patchfleet.trust.tuf.internal;

/**
 * Matching of TUF delegation {@code paths}: {@code *} matches any run of characters except
 * {@code /}, {@code ?} one character except {@code /}; everything else is literal. Keeping
 * {@code *} within one path segment is the stricter reading, the one python-tuf adopted.
 */
final class Glob {
    private Glob() {}

    static boolean matches(String pattern, String name) {
        return match(pattern, 0, name, 0);
    }

    private static boolean match(String p, int i, String s, int j) {
        while (i < p.length()) {
            char c = p.charAt(i);
            if (c == '*') {
                for (int k = j; k <= s.length(); k++) {
                    if (match(p, i + 1, s, k)) {
                        return true;
                    }
                    if (k < s.length() && s.charAt(k) == '/') {
                        return false;
                    }
                }
                return false;
            }
            if (j >= s.length() || s.charAt(j) == '/' && c != '/' || c != '?' && c != s.charAt(j)) {
                return false;
            }
            i++;
            j++;
        }
        return j == s.length();
    }
}
