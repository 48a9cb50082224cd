package dev.descent.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and string quoting, enough for safetensors headers.
 *
 * <p>Objects parse to {@code Map<String, Object>} (in file order), arrays to {@code List<Object>},
 * strings to {@code String}, numbers to {@link Number} (the literal, so integers of any size
 * convert exactly), {@code true}/{@code false} to {@code Boolean} and {@code null} to
 * {@link #NULL}. Anything else is refused with a {@link SyntaxException} giving the character
 * position and what was expected: trailing commas, comments, single quotes, leading zeros, control
 * characters in strings, escapes with other than ASCII hex digits, duplicate keys, nesting deeper
 * than {@link #MAX_DEPTH}, more than {@link #MAX_VALUES} values, text after the value.
 */
final class Json {

    /** Deepest nesting accepted; a safetensors header needs 3. */
    static final int MAX_DEPTH = 64;
    /**
     * Most values accepted in one text, about 7 per tensor in a safetensors header (its entry,
     * dtype, shape and offsets): a parsed value takes up to about 150 bytes of heap, so a header
     * within the size limit but made of millions of tiny values would otherwise need gigabytes.
     */
    static final int MAX_VALUES = 1 << 22;

    /** JSON's {@code null}, distinct from an absent key. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private final String text;
    private int pos;
    private int values;

    private Json(String text) {
        this.text = text;
    }

    /** A JSON number, kept as written. */
    record Number(String literal) {

        /** The value if it is an integer in {@code [0, Long.MAX_VALUE]}, else -1. */
        long nonNegativeLong() {
            if (literal.isEmpty() || literal.length() > 19) {
                return -1;
            }
            for (int i = 0; i < literal.length(); i++) {
                if (literal.charAt(i) < '0' || literal.charAt(i) > '9') {
                    return -1; // sign, fraction or exponent
                }
            }
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException e) {
                return -1; // 19 digits above Long.MAX_VALUE
            }
        }

        @Override
        public String toString() {
            return literal;
        }
    }

    /** Malformed JSON: {@link #position()} is the index of the offending character. */
    static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int position;

        SyntaxException(int position, String message) {
            super("at character " + position + ": " + message);
            this.position = position;
        }

        int position() {
            return position;
        }
    }

    /** Parses {@code text}, which must hold exactly one JSON value, surrounded by whitespace only. */
    static Object parse(String text) throws SyntaxException {
        final Json json = new Json(text);
        json.skipWhitespace();
        final Object value = json.value(0);
        json.skipWhitespace();
        if (json.pos < text.length()) {
            throw json.error("expected the end of the JSON text after the top-level value");
        }
        return value;
    }

    /** {@code s} as a JSON string literal, quotes included; non-ASCII characters stay as they are. */
    static String quote(String s) {
        final StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !isPairedSurrogate(s, i)) {
                        // Control characters must be escaped; a lone surrogate has no UTF-8 form.
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static boolean isPairedSurrogate(String s, int i) {
        final char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** A JSON array of strings, e.g. {@code ["a","b"]}. */
    static String stringArray(List<String> strings) {
        final StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < strings.size(); i++) {
            out.append(i == 0 ? "" : ",").append(quote(strings.get(i)));
        }
        return out.append(']').toString();
    }

    private Object value(int depth) throws SyntaxException {
        if (pos >= text.length()) {
            throw error("expected a JSON value but the text ended");
        }
        if (++values > MAX_VALUES) {
            throw error("more than " + MAX_VALUES + " values; this reader takes no more");
        }
        final char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || c >= '0' && c <= '9') {
                    yield number();
                }
                throw error("expected a JSON value (object, array, string, number, true, false"
                        + " or null) but found " + describe(c));
            }
        };
    }

    private Map<String, Object> object(int depth) throws SyntaxException {
        checkDepth(depth);
        pos++; // '{'
        final Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key in an object but found " + describeNext());
            }
            final int keyStart = pos;
            final String key = string();
            if (map.containsKey(key)) {
                throw new SyntaxException(keyStart, "duplicate key " + quote(key) + " in an object");
            }
            skipWhitespace();
            expect(':', "after the object key " + quote(key));
            skipWhitespace();
            map.put(key, value(depth));
            skipWhitespace();
            final int c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return Collections.unmodifiableMap(map);
            } else {
                throw error("expected ',' or '}' after the value of key " + quote(key)
                        + " but found " + describeNext());
            }
        }
    }

    private List<Object> array(int depth) throws SyntaxException {
        checkDepth(depth);
        pos++; // '['
        final List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth));
            skipWhitespace();
            final int c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return Collections.unmodifiableList(list);
            } else {
                throw error("expected ',' or ']' after an array element but found " + describeNext());
            }
        }
    }

    private String string() throws SyntaxException {
        pos++; // opening quote
        final StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("expected '\"' to close a string but the text ended");
            }
            final char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return out.toString();
            }
            if (c < 0x20) {
                throw error("control character " + describe(c)
                        + " in a string; it must be escaped");
            }
            if (c != '\\') {
                out.append(c);
                pos++;
                continue;
            }
            pos++;
            if (pos >= text.length()) {
                throw error("expected an escape character after '\\' but the text ended");
            }
            final char e = text.charAt(pos);
            switch (e) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    int code = 0;
                    for (int k = 1; k <= 4; k++) {
                        final int digit = pos + k < text.length()
                                ? hexDigit(text.charAt(pos + k)) : -1;
                        if (digit < 0) {
                            pos += k;
                            throw error("expected 4 hex digits after '\\u' but found "
                                    + describeNext());
                        }
                        code = code * 16 + digit;
                    }
                    out.append((char) code);
                    pos += 4;
                }
                default -> throw error("invalid escape '\\" + e + "' in a string; expected one of"
                        + " \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
            }
            pos++;
        }
    }

    /** The value of an ASCII hex digit, else -1: {@code Character.digit} takes other scripts' too. */
    private static int hexDigit(char c) {
        return c < 128 ? Character.digit(c, 16) : -1;
    }

    private Number number() throws SyntaxException {
        final int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zero in a number");
            }
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("expected a digit in a number but found " + describeNext());
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after the decimal point but found " + describeNext());
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent but found " + describeNext());
            }
            digits();
        }
        return new Number(text.substring(start, pos));
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object value) throws SyntaxException {
        if (!text.startsWith(word, pos)) {
            throw error("expected a JSON value but found " + describeNext());
        }
        pos += word.length();
        return value;
    }

    private void expect(char c, String where) throws SyntaxException {
        if (peek() != c) {
            throw error("expected '" + c + "' " + where + " but found " + describeNext());
        }
        pos++;
    }

    private void checkDepth(int depth) throws SyntaxException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private int peek() {
        return pos < text.length() ? text.charAt(pos) : -1;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            final char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describeNext() {
        return pos < text.length() ? describe(text.charAt(pos)) : "the end of the text";
    }

    private static String describe(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private SyntaxException error(String message) {
        return new SyntaxException(pos, message);
    }
}
