package io.github.rseq4j.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonWriterTest {

    @Test
    void indentsNestedContainersAndSeparatesElements() {
        String json = new JsonWriter().beginObject()
                .name("n").value(-7)
                .name("empty").beginArray().endArray()
                .name("none").beginObject().endObject()
                .name("list").beginArray().value(true).value((String) null).beginObject().name("x").value(1L)
                .endObject().endArray()
                .endObject().toString();
        assertEquals("""
                {
                  "n": -7,
                  "empty": [],
                  "none": {},
                  "list": [
                    true,
                    null,
                    {
                      "x": 1
                    }
                  ]
                }""", json);
    }

    @Test
    void escapesEveryStringSoItParsesBackAndStaysAscii() {
        String nasty = "quote \" backslash \\ slash / nl \n cr \r tab \t bs \b ff \f nul \0 esc \u001b del \u007f"
                + " e-acute \u00e9 emoji \ud83d\ude00 lone \ud800 end";
        String json = new JsonWriter().beginObject().name(nasty).value(nasty).endObject().toString();

        assertTrue(json.chars().allMatch(c -> c >= 0x20 && c < 0x7f || c == '\n'), json);
        assertEquals(Map.of(nasty, nasty), Json.parse(json));
    }

    @Test
    void writesNullNumbersAndStringsAsNull() {
        String json = new JsonWriter().beginArray().value((Integer) null).value((String) null).endArray().toString();
        assertEquals(java.util.Arrays.asList(null, null), Json.parse(json));
        assertEquals(List.of(), Json.parse(new JsonWriter().beginArray().endArray().toString()));
    }
}
