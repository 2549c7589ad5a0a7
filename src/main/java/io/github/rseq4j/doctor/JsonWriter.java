package io.github.rseq4j.doctor;

import java.util.Locale;

/**
 * A minimal streaming JSON writer, indented two spaces per level, so the doctor needs no
 * library. Output is pure ASCII: everything else is escaped, so no terminal or locale
 * encoding can mangle it. The caller is trusted to nest calls correctly.
 */
final class JsonWriter {

    private final StringBuilder out = new StringBuilder();
    private int depth;
    /** The open container has no element yet: no comma before the next one. */
    private boolean empty = true;
    /** A member name was written; its value follows on the same line. */
    private boolean afterName;

    JsonWriter beginObject() {
        return open('{');
    }

    JsonWriter endObject() {
        return close('}');
    }

    JsonWriter beginArray() {
        return open('[');
    }

    JsonWriter endArray() {
        return close(']');
    }

    JsonWriter name(String name) {
        startElement();
        string(name);
        out.append(": ");
        afterName = true;
        return this;
    }

    JsonWriter value(String value) {
        beforeValue();
        if (value == null) {
            out.append("null");
        } else {
            string(value);
        }
        return this;
    }

    /** Integral numbers only: the report has no fractions. */
    JsonWriter value(Number value) {
        beforeValue();
        out.append(value == null ? "null" : value.toString());
        return this;
    }

    /** A boolean, or null where it could not be checked. */
    JsonWriter value(Boolean value) {
        beforeValue();
        out.append(value == null ? "null" : value.toString());
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private JsonWriter open(char bracket) {
        beforeValue();
        out.append(bracket);
        depth++;
        empty = true;
        return this;
    }

    private JsonWriter close(char bracket) {
        depth--;
        if (!empty) {
            newline();
        }
        out.append(bracket);
        empty = false;
        return this;
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
        } else if (depth > 0) {
            startElement();
        }
    }

    private void startElement() {
        if (!empty) {
            out.append(',');
        }
        newline();
        empty = false;
    }

    private void newline() {
        out.append('\n').append("  ".repeat(depth));
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
