package io.github.rseq4j.scripts;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The commands a bash script runs by name, and the functions it defines, read from its text: a
 * small scanner for the bash the project writes (pipelines, lists, command and process
 * substitution, here-documents, {@code case}, {@code [[ ]]}, arrays, wrappers such as
 * {@code timeout} and {@code nice}, and the scripts inside {@code bash -c}, {@code trap} and
 * {@code eval}). A command whose name is computed ({@code "$(qemu_for x)"}, {@code $bb}) or given
 * as a path ({@code scripts/config}) is not a lookup in {@code PATH} and is not reported.
 */
final class ShellCommands {
    /** Commands that run the command named after their own options and operands. */
    private static final Set<String> WRAPPERS = Set.of("timeout", "nice", "nohup", "setsid", "exec", "env",
            "time", "builtin", "xargs", "sudo");
    /** The wrappers' options that take the next word as their value. */
    private static final Map<String, Set<String>> OPTIONS_WITH_VALUES = Map.of(
            "timeout", Set.of("-s", "-k"), "nice", Set.of("-n"), "env", Set.of("-u", "-C"));
    /** Commands whose next operand is a script of its own. */
    private static final Set<String> SCRIPT_TAKERS = Set.of("trap", "eval");
    private static final Set<String> SHELLS = Set.of("bash", "sh");
    /** Reserved words after which a command name follows. */
    private static final Set<String> OPENERS = Set.of("if", "then", "else", "elif", "do", "while", "until", "!", "{");
    /** Reserved words after which only redirections or a separator follow. */
    private static final Set<String> CLOSERS = Set.of("fi", "done", "}");

    private enum Expect { COMMAND, ARGUMENTS, WRAPPED, WRAPPED_OPERAND, SCRIPT, SHELL_FLAG, FUNCTION_NAME }

    private final String s;
    private int i;
    private boolean pendingCaseIn;
    private final List<String> pendingHereDocs = new ArrayList<>();
    final Set<String> commands = new TreeSet<>();
    final Set<String> functions = new TreeSet<>();

    private ShellCommands(String script) {
        this.s = script;
    }

    static ShellCommands scan(String script) {
        ShellCommands scanner = new ShellCommands(script);
        scanner.list((char) 0);
        return scanner;
    }

    /** One word: its text without quotes, and whether an expansion made it. */
    private record Word(String text, boolean computed, boolean endsAtRedirection) {}

    /** Scans a command list up to {@code closer} (')' or '`'; 0 for the end of the text). */
    private void list(char closer) {
        Expect expect = Expect.COMMAND;
        String wrapper = null;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == closer) {
                i++;
                return;
            }
            if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                i += 2;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                i++;
            } else if (c == '\n') {
                i++;
                skipHereDocs();
                expect = Expect.COMMAND;
            } else if (c == '#') {
                while (i < s.length() && s.charAt(i) != '\n') i++;
            } else if (s.startsWith(";;", i) || s.startsWith(";&", i)) {
                i += s.startsWith(";;&", i) ? 3 : 2;
                casePattern();
                expect = Expect.COMMAND;
            } else if (c == ';' || c == '|' || (c == '&' && !s.startsWith("&>", i))) {
                i += s.startsWith("&&", i) || s.startsWith("||", i) || s.startsWith("|&", i) ? 2 : 1;
                expect = Expect.COMMAND;
            } else if (c == '(' && expect == Expect.COMMAND) {
                if (s.startsWith("((", i)) {
                    skipBalanced('(', ')');
                } else {
                    i++;
                    list(')');
                }
                expect = Expect.ARGUMENTS;
            } else if (c == ')') {
                i++; // a stray one, such as the end of a case pattern's list
            } else if (c == '<' || c == '>' || c == '&') {
                redirection();
            } else {
                Word word = word();
                if (word.endsAtRedirection() && word.text().chars().allMatch(Character::isDigit)) {
                    continue; // a file descriptor number, as in 2>&1
                }
                String text = word.text();
                switch (expect) {
                    case COMMAND -> {
                        expect = command(word);
                        wrapper = text;
                    }
                    case WRAPPED -> {
                        if (wrapper.equals("command") && (text.equals("-v") || text.equals("-V"))) {
                            expect = Expect.ARGUMENTS; // a lookup, not a run
                        } else if (text.startsWith("-") || text.contains("=")) {
                            if (OPTIONS_WITH_VALUES.getOrDefault(wrapper, Set.of()).contains(text)) {
                                expect = Expect.WRAPPED_OPERAND;
                            }
                        } else if (wrapper.equals("timeout") && (word.computed() || text.matches("[0-9.]+[smhd]?"))) {
                            expect = Expect.COMMAND; // the duration; the command follows
                        } else {
                            expect = command(word);
                            wrapper = text;
                        }
                    }
                    case WRAPPED_OPERAND -> expect = Expect.WRAPPED;
                    case SHELL_FLAG -> expect = text.equals("-c") ? Expect.SCRIPT : Expect.ARGUMENTS;
                    case SCRIPT -> {
                        if (!word.computed()) merge(scan(text));
                        expect = Expect.ARGUMENTS;
                    }
                    case FUNCTION_NAME -> {
                        functions.add(text);
                        expect = Expect.COMMAND;
                    }
                    case ARGUMENTS -> {
                        if (pendingCaseIn && text.equals("in")) {
                            pendingCaseIn = false;
                            casePattern();
                            expect = Expect.COMMAND;
                        }
                    }
                }
            }
        }
    }

    /** A word where a command name may stand: what the next word is. */
    private Expect command(Word word) {
        String text = word.text();
        if (text.matches("[A-Za-z_][A-Za-z0-9_]*(\\[[^]]*])?\\+?=.*")) {
            return Expect.COMMAND; // an assignment: a command may still follow
        } else if (word.computed()) {
            return Expect.ARGUMENTS;
        } else if (text.equals("[[")) {
            testExpression();
            return Expect.ARGUMENTS;
        } else if (OPENERS.contains(text)) {
            return Expect.COMMAND;
        } else if (CLOSERS.contains(text)) {
            return Expect.ARGUMENTS;
        } else if (text.equals("esac")) {
            return Expect.ARGUMENTS;
        } else if (text.equals("case")) {
            pendingCaseIn = true;
            return Expect.ARGUMENTS;
        } else if (text.equals("for") || text.equals("select")) {
            return Expect.ARGUMENTS;
        } else if (text.equals("function")) {
            return Expect.FUNCTION_NAME;
        } else if (followsFunctionParentheses()) {
            functions.add(text);
            return Expect.COMMAND;
        } else if (text.contains("/")) {
            return Expect.ARGUMENTS;
        }
        commands.add(text);
        return text.equals("command") || WRAPPERS.contains(text) ? Expect.WRAPPED
                : SCRIPT_TAKERS.contains(text) ? Expect.SCRIPT
                : SHELLS.contains(text) ? Expect.SHELL_FLAG
                : Expect.ARGUMENTS;
    }

    private void merge(ShellCommands inner) {
        commands.addAll(inner.commands);
        functions.addAll(inner.functions);
    }

    /** After {@code in} or {@code ;;}: skips the patterns up to their ')' or reads {@code esac}. */
    private void casePattern() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                while (i < s.length() && s.charAt(i) != '\n') i++;
            } else if (s.startsWith("esac", i)
                    && (i + 4 == s.length() || !Character.isLetterOrDigit(s.charAt(i + 4)))) {
                return; // list() reads it as a word and closes the case
            } else {
                if (c == '(') i++;
                while (i < s.length() && s.charAt(i) != ')') {
                    if (s.charAt(i) == '\\') i++;
                    i++;
                }
                i++;
                return;
            }
        }
    }

    /** Inside {@code [[ ]]}: operators are not separators, words are not commands. */
    private void testExpression() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("]]", i)) {
                i += 2;
                return;
            }
            if (Character.isWhitespace(c) || "&|()<>!".indexOf(c) >= 0) {
                i++;
            } else {
                word();
            }
        }
    }

    private boolean followsFunctionParentheses() {
        int j = i;
        while (j < s.length() && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) j++;
        if (s.startsWith("()", j)) {
            i = j + 2;
            return true;
        }
        return false;
    }

    /** A redirection operator and its target; process substitution is a list of its own. */
    private void redirection() {
        if (s.startsWith("<<<", i)) {
            i += 3;
        } else if (s.startsWith("<<", i)) {
            i += 2;
            if (i < s.length() && s.charAt(i) == '-') i++;
            skipBlanks();
            pendingHereDocs.add(word().text());
            return;
        } else if ((s.startsWith("<(", i) || s.startsWith(">(", i))) {
            i += 2;
            list(')');
            return;
        } else {
            while (i < s.length() && "<>&|".indexOf(s.charAt(i)) >= 0) i++;
        }
        skipBlanks();
        if (i < s.length() && "\n;|&)".indexOf(s.charAt(i)) < 0) word();
    }

    private void skipBlanks() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) i++;
    }

    /** At a line's start: the bodies of the here-documents its line opened. */
    private void skipHereDocs() {
        for (String delimiter : pendingHereDocs) {
            while (i < s.length()) {
                int end = s.indexOf('\n', i);
                String line = s.substring(i, end < 0 ? s.length() : end);
                i = end < 0 ? s.length() : end + 1;
                if (line.strip().equals(delimiter)) break;
            }
        }
        pendingHereDocs.clear();
    }

    /** One word, with its quotes, expansions and nested command lists. */
    private Word word() {
        StringBuilder text = new StringBuilder();
        boolean computed = false;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || ";|&)".indexOf(c) >= 0) {
                return new Word(text.toString(), computed, false);
            }
            if (c == '<' || c == '>') {
                return new Word(text.toString(), computed, true);
            }
            if (c == '(' && text.length() > 0 && text.charAt(text.length() - 1) == '=') {
                i++;
                while (i < s.length() && s.charAt(i) != ')') {
                    if (Character.isWhitespace(s.charAt(i))) i++;
                    else word();
                }
                i++;
                computed = true;
            } else if (s.startsWith("()", i)) {
                return new Word(text.toString(), computed, false); // a function's name
            } else if (c == '(') {
                skipBalanced('(', ')'); // an extended glob
            } else if (c == '\\') {
                if (i + 1 < s.length()) text.append(s.charAt(i + 1));
                i += 2;
            } else if (c == '\'') {
                int end = s.indexOf('\'', i + 1);
                end = end < 0 ? s.length() : end;
                text.append(s, i + 1, end);
                i = end + 1;
            } else if (c == '"') {
                i++;
                while (i < s.length() && s.charAt(i) != '"') {
                    char d = s.charAt(i);
                    if (d == '\\') {
                        if (i + 1 < s.length()) text.append(s.charAt(i + 1));
                        i += 2;
                    } else if (d == '$' || d == '`') {
                        expansion();
                        computed = true;
                    } else {
                        text.append(d);
                        i++;
                    }
                }
                i++;
            } else if (c == '$' || c == '`') {
                expansion();
                computed = true;
            } else {
                text.append(c);
                i++;
            }
        }
        return new Word(text.toString(), computed, false);
    }

    /** At '$' or '`': skips a parameter or arithmetic expansion, scans a command substitution. */
    private void expansion() {
        if (s.charAt(i) == '`') {
            i++;
            list('`');
        } else if (s.startsWith("$((", i)) {
            i++;
            skipBalanced('(', ')');
        } else if (s.startsWith("$(", i)) {
            i += 2;
            list(')');
        } else if (s.startsWith("${", i)) {
            i++;
            skipBalanced('{', '}');
        } else {
            i++;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) i++;
            if (i < s.length() && "@*#?$!-".indexOf(s.charAt(i)) >= 0 && s.charAt(i - 1) == '$') i++;
        }
    }

    private void skipBalanced(char open, char close) {
        int depth = 0;
        do {
            char c = s.charAt(i);
            if (c == open) depth++;
            else if (c == close) depth--;
            else if (c == '\\') i++;
            i++;
        } while (depth > 0 && i < s.length());
    }
}
