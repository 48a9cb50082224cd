package dev.descent.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The header's JSON reader accepts RFC 8259 and nothing else, saying where and what it expected. */
class JsonTest {

    @Test
    void parsesEveryKindOfValue() throws Json.SyntaxException {
        final Object v = Json.parse(" {\"a\": [1, -2.5e3, 0, true, false, null, \"x\\u00e9\\n\\\"\\/\"],"
                + " \"b\" : {}, \"c\":[]}\n\t\r ");
        final Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "c"), List.copyOf(m.keySet()));
        final List<?> a = (List<?>) m.get("a");
        assertEquals(new Json.Number("1"), a.get(0));
        assertEquals(new Json.Number("-2.5e3"), a.get(1));
        assertEquals(Boolean.TRUE, a.get(3));
        assertSame(Json.NULL, a.get(5));
        assertEquals("x\u00e9\n\"/", a.get(6));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
    }

    @Test
    void integersConvertExactlyOrNotAtAll() {
        assertEquals(Long.MAX_VALUE, new Json.Number("9223372036854775807").nonNegativeLong());
        assertEquals(-1, new Json.Number("9223372036854775808").nonNegativeLong());
        assertEquals(-1, new Json.Number("-1").nonNegativeLong());
        assertEquals(-1, new Json.Number("1.0").nonNegativeLong());
        assertEquals(-1, new Json.Number("1e3").nonNegativeLong());
        assertEquals(0, new Json.Number("0").nonNegativeLong());
    }

    @Test
    void quoteRoundTripsEveryCharacter() throws Json.SyntaxException {
        final String s = "a\"b\\c\u0000\u001f\n\t\u00e9\u20ac\ud834\udd1e\ud800x";
        assertEquals(s, Json.parse(Json.quote(s)));
        assertEquals("[\"a\",\"b\\\"\"]", Json.stringArray(List.of("a", "b\"")));
    }

    @ParameterizedTest(name = "[{index}] ''{0}''")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``                    | 0 | expected a JSON value but the text ended",
        "`{`                   | 1 | expected a string key",
        "`{\"a\":1,}`          | 7 | expected a string key",
        "`[1,]`                | 3 | expected a JSON value",
        "`{\"a\" 1}`           | 5 | expected ':' after the object key \"a\"",
        "`{\"a\":1 \"b\":2}`   | 7 | expected ',' or '}'",
        "`[1 2]`               | 3 | expected ',' or ']'",
        "`{'a':1}`             | 1 | expected a string key in an object but found '''",
        "`01`                  | 1 | leading zero",
        "`1.`                  | 2 | expected a digit after the decimal point",
        "`1e`                  | 2 | expected a digit in the exponent",
        "`-`                   | 1 | expected a digit in a number",
        "`+1`                  | 0 | expected a JSON value",
        "`tru`                 | 0 | expected a JSON value",
        "`NaN`                 | 0 | expected a JSON value",
        "`\"ab`                | 3 | expected '\"' to close a string",
        "`\"a\\x\"`            | 3 | invalid escape '\\x'",
        "`\"\\u12g4\"`         | 5 | expected 4 hex digits",
        "`\"\\u\u0661\u0662\u0663\u0664\"` | 3 | expected 4 hex digits",
        "`\"\\u00\uff14\uff21\"` | 5 | expected 4 hex digits",
        "`{} {}`               | 3 | expected the end of the JSON text",
        "`{\"a\":1,\"a\":2}`   | 7 | duplicate key \"a\"",
        "`/* c */ {}`          | 0 | expected a JSON value",
    })
    void refusesMalformedText(String text, int position, String message) {
        final Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(text));
        assertEquals(position, e.position(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().startsWith("at character " + position + ": "), e.getMessage());
    }

    @Test
    void refusesControlCharactersInStringsAndDeepNesting() {
        final Json.SyntaxException control = assertThrows(Json.SyntaxException.class,
                () -> Json.parse("\"a\u0001\""));
        assertTrue(control.getMessage().contains("control character U+0001"), control.getMessage());
        final String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        final Json.SyntaxException nested = assertThrows(Json.SyntaxException.class, () -> Json.parse(deep));
        assertTrue(nested.getMessage().contains("nesting deeper than 64"), nested.getMessage());
    }

    @Test
    void refusesMoreValuesThanTheLimit() throws Json.SyntaxException {
        // The array itself is one value: MAX_VALUES - 1 elements fill the limit exactly.
        final String full = "[" + "0,".repeat(Json.MAX_VALUES - 2) + "0]";
        assertEquals(Json.MAX_VALUES - 1, ((List<?>) Json.parse(full)).size());
        final String over = "[" + "0,".repeat(Json.MAX_VALUES - 1) + "0]";
        final Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(over));
        assertEquals(over.length() - 2, e.position(), e.getMessage());
        assertTrue(e.getMessage().contains("more than " + Json.MAX_VALUES + " values"), e.getMessage());
    }

    @Test
    void acceptsNestingUpToTheLimit() throws Json.SyntaxException {
        final int depth = Json.MAX_DEPTH;
        Object v = Json.parse("[".repeat(depth) + "]".repeat(depth));
        for (int d = 1; d < depth; d++) {
            v = ((List<?>) v).getFirst();
        }
        assertEquals(List.of(), v);
    }

    /**
     * Seeded random texts, and valid ones with a few characters changed, inserted or deleted:
     * each parses to the documented types or is refused with a {@link Json.SyntaxException} at a
     * position within the text, never with another exception.
     */
    @Test
    void randomTextParsesOrIsRefusedWithASyntaxError() {
        final String[] pieces = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\uD800",
            "\\uDC00", "\\u12G4", "\\u00e9", "\\n", "\\x", "0", "-", "+", ".", "e", "E", "01",
            "1e400", "-0", "123456789012345678901234567890", "true", "tru", "false", "null", "nul",
            " ", "\t", "\n", "\r", "\u0000", "\u001f", "\u00e9", "\ud800", "\udc00", "\ud83d\ude00",
            "\ufeff", "a", "\"a\"", "{\"a\":", "[[[[", "]]]]", "\"k\":1", "/*", "'"};
        final String valid = "{\"__metadata__\":{\"a\":\"b\\\"\\u00e9\"},\"t\":{\"dtype\":\"F32\","
                + "\"shape\":[1,-0.5e+3,0],\"data_offsets\":[0,4]},\"x\":[true,false,null,{},[]]}";
        final SplittableRandom random = new SplittableRandom(8259);
        int parsed = 0;
        for (int i = 0; i < 20_000; i++) {
            final StringBuilder text = new StringBuilder();
            if (i % 2 == 0) {
                for (int n = random.nextInt(12); n > 0; n--) {
                    text.append(pieces[random.nextInt(pieces.length)]);
                }
            } else {
                text.append(valid);
                for (int n = 1 + random.nextInt(3); n > 0; n--) {
                    final int at = random.nextInt(text.length() + 1);
                    final String piece = pieces[random.nextInt(pieces.length)];
                    switch (random.nextInt(3)) {
                        case 0 -> text.insert(at, piece);
                        case 1 -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(3)));
                        default -> text.replace(at, Math.min(text.length(), at + 1), piece);
                    }
                }
            }
            try {
                assertTrue(wellTyped(Json.parse(text.toString())), text.toString());
                parsed++;
            } catch (Json.SyntaxException e) {
                assertTrue(e.position() >= 0 && e.position() <= text.length(), e.getMessage() + " in " + text);
            } catch (RuntimeException | Error e) {
                throw new AssertionError("'" + text + "': " + e, e);
            }
        }
        assertTrue(parsed > 100, parsed + " parsed");
    }

    private static boolean wellTyped(Object value) {
        return switch (value) {
            case Map<?, ?> m -> m.entrySet().stream()
                    .allMatch(e -> e.getKey() instanceof String && wellTyped(e.getValue()));
            case List<?> l -> l.stream().allMatch(JsonTest::wellTyped);
            case String s -> true;
            case Json.Number n -> !n.literal().isEmpty();
            case Boolean b -> true;
            default -> value == Json.NULL;
        };
    }
}
