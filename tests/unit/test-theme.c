/*
 * test-theme.c - unit tests of tui/theme.c: reading themes (colours,
 * attributes, errors with positions, omitted slots), the search order
 * (user themes override shipped ones), mapping to 8 colours or none, and
 * the shipped files against the compiled-in copies.  No terminal: theme_use
 * without one applies attributes only.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tui.h"

#define THEMES TESTS_SRCDIR "/../themes"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    *len = sb.len;
    return strbuf_detach(&sb);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Parse a text; the error (or NULL) is returned, the theme freed. */
static char *parse_error(const char *text)
{
    theme_def t;
    char *error = NULL;
    if (theme_parse(&t, "t.yaml", text, strlen(text), &error) == 0) {
        theme_def_free(&t);
        return NULL;
    }
    return error;
}

static void assert_parse_error(const char *text, const char *want)
{
    char *error = parse_error(text);
    assert_non_null(error);
    assert_string_equal(error, want);
    free(error);
}

static void test_colours(void **state)
{
    (void)state;
    assert_int_equal(theme_parse_colour("default"), -1);
    assert_int_equal(theme_parse_colour("black"), 0);
    assert_int_equal(theme_parse_colour("red"), 1);
    assert_int_equal(theme_parse_colour("white"), 7);
    assert_int_equal(theme_parse_colour("bright-black"), 8);
    assert_int_equal(theme_parse_colour("bright-red"), 9);
    assert_int_equal(theme_parse_colour("bright-white"), 15);
    assert_int_equal(theme_parse_colour("0"), 0);
    assert_int_equal(theme_parse_colour("208"), 208);
    assert_int_equal(theme_parse_colour("255"), 255);
    /* hex: the nearest of the cube and the greys */
    assert_int_equal(theme_parse_colour("#ff8700"), 208);
    assert_int_equal(theme_parse_colour("#000000"), 16);
    assert_int_equal(theme_parse_colour("#ffffff"), 231);
    assert_int_equal(theme_parse_colour("#808080"), 244);
    assert_int_equal(theme_parse_colour("#FF8700"), 208);
    assert_int_equal(theme_parse_colour("256"), -2);
    assert_int_equal(theme_parse_colour("1000"), -2);
    assert_int_equal(theme_parse_colour("12a"), -2);
    assert_int_equal(theme_parse_colour("bleu"), -2);
    assert_int_equal(theme_parse_colour("bright-"), -2);
    assert_int_equal(theme_parse_colour("#12345"), -2);
    assert_int_equal(theme_parse_colour("#12345g"), -2);
    assert_int_equal(theme_parse_colour(""), -2);
}

static void test_nearest(void **state)
{
    (void)state;
    assert_int_equal(theme_nearest(-1, 8), -1);
    assert_int_equal(theme_nearest(3, 8), 3);
    assert_int_equal(theme_nearest(9, 8), 1);   /* bright red: red */
    assert_int_equal(theme_nearest(12, 8), 4);  /* bright blue: blue */
    assert_int_equal(theme_nearest(208, 8), 3); /* orange: yellow */
    assert_int_equal(theme_nearest(231, 8), 7); /* white */
    assert_int_equal(theme_nearest(16, 8), 0);  /* black */
    assert_int_equal(theme_nearest(232, 8), 0); /* the darkest grey */
    assert_int_equal(theme_nearest(8, 8), 7);   /* a mid grey: white, not yellow */
    assert_int_equal(theme_nearest(236, 8), 0);
    assert_int_equal(theme_nearest(28, 8), 2); /* a green */
    assert_int_equal(theme_nearest(208, 256), 208);
}

static void test_parse(void **state)
{
    (void)state;
    const char *text = "name: mine\n"
                       "description: Mine\n"
                       "slots:\n"
                       "  error: {fg: bright-red, bg: \"#000000\", attrs: [bold, underline]}\n"
                       "  ok: {fg: 28, attrs: italic}\n"
                       "  dim:\n";
    theme_def t, d;
    char *error = NULL;
    assert_int_equal(theme_parse(&t, "t.yaml", text, strlen(text), &error), 0);
    assert_null(error);
    assert_string_equal(t.name, "mine");
    assert_string_equal(t.description, "Mine");
    assert_false(t.mono);
    assert_int_equal(t.slots[SLOT_ERROR].fg, 9);
    assert_int_equal(t.slots[SLOT_ERROR].bg, 16);
    assert_int_equal(t.slots[SLOT_ERROR].attrs, A_BOLD | A_UNDERLINE);
    assert_int_equal(t.slots[SLOT_OK].fg, 28);
    assert_int_equal(t.slots[SLOT_OK].bg, -1);
    assert_int_equal(t.slots[SLOT_OK].attrs, A_ITALIC);
    /* given empty: the terminal's colours, no attribute */
    assert_int_equal(t.slots[SLOT_DIM].fg, -1);
    assert_int_equal(t.slots[SLOT_DIM].attrs, 0);

    /* a slot left out takes the default theme's value */
    const char *empty = "name: d\n";
    assert_int_equal(theme_parse(&d, "d.yaml", empty, strlen(empty), &error), 0);
    for (int s = 0; s < SLOT_COUNT; s++) {
        if (s == SLOT_ERROR || s == SLOT_OK || s == SLOT_DIM)
            continue;
        assert_int_equal(t.slots[s].fg, d.slots[s].fg);
        assert_int_equal(t.slots[s].bg, d.slots[s].bg);
        assert_int_equal(t.slots[s].attrs, d.slots[s].attrs);
    }
    assert_int_equal(d.slots[SLOT_SELECTED].fg, 231);
    assert_int_equal(d.slots[SLOT_SELECTED].bg, 31);
    assert_null(d.description);
    theme_def_free(&t);
    theme_def_free(&d);
}

static void test_errors(void **state)
{
    (void)state;
    assert_parse_error("slots:\n  error: {fg: bleu}\n",
                       "t.yaml:2:15: unknown colour `bleu` (did you mean `blue`?)");
    assert_parse_error("slots:\n  error: {bg: brigth-red}\n",
                       "t.yaml:2:15: unknown colour `brigth-red` (did you mean `bright-red`?)");
    assert_parse_error("slots:\n  eror: {fg: red}\n",
                       "t.yaml:2:3: unknown slot `eror` (did you mean `error`?)");
    assert_parse_error("slots:\n  ok:\n    attrs: [bold, undeline]\n",
                       "t.yaml:3:19: unknown attribute `undeline` (did you mean `underline`?)");
    assert_parse_error("slots:\n  ok: {attrs: [blink]}\n",
                       "t.yaml:2:16: unknown attribute `blink` (one of: bold, dim, underline, "
                       "reverse, italic, standout)");
    assert_parse_error("slots:\n  ok: {fg: 300}\n",
                       "t.yaml:2:12: colour `300` is out of range (0..255)");
    assert_parse_error("slots:\n  ok: {fg: \"#12\"}\n",
                       "t.yaml:2:12: bad colour `#12` (write \"#rrggbb\")");
    assert_parse_error("slots:\n  ok:\n    fg: #ff0000\n",
                       "t.yaml:3:8: `fg` has no colour (a \"#rrggbb\" colour must be quoted)");
    assert_parse_error("slots:\n  ok: {fgg: red}\n",
                       "t.yaml:2:8: unknown key `fgg` (did you mean `fg`?)");
    assert_parse_error("slot:\n  ok: {fg: red}\n",
                       "t.yaml:1:1: unknown key `slot` (did you mean `slots`?)");
    assert_parse_error("slots: [ok]\n", "t.yaml:1:8: `slots` must be a mapping, not a list");
    assert_parse_error("slots:\n  ok: red\n",
                       "t.yaml:2:7: slot `ok` must be a mapping {fg, bg, attrs}, not a string");
    assert_parse_error("- a\n",
                       "t.yaml:1:1: a theme is a mapping (name, description, slots), not a list");
    /* YAML syntax: the parser's message at its position */
    char *error = parse_error("slots: {ok: [\n");
    assert_non_null(error);
    assert_true(strncmp(error, "t.yaml:", 7) == 0);
    free(error);
}

/* Every slot written out in a shipped theme (no silent fallback). */
static void assert_complete(const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    ydocs docs;
    dapt_diags diags = {0};
    assert_int_equal(ynode_parse(&docs, path, text, len, &diags), 0);
    const ynode *slots = ynode_get(docs.docs[0].root, "slots");
    assert_non_null(slots);
    for (int s = 0; s < SLOT_COUNT; s++) {
        if (ynode_get(slots, theme_slot_name(s)) == NULL &&
            ynode_key(slots, theme_slot_name(s)) == NULL)
            fail_msg("%s: no slot %s", path, theme_slot_name(s));
    }
    ynode_docs_free(&docs);
    dapt_diags_free(&diags);
    free(text);
}

static void test_shipped(void **state)
{
    (void)state;
    static const char *const names[] = {"default", "light", "high-contrast", "mono"};
    for (size_t i = 0; i < 4; i++) {
        char *path = xasprintf("%s/%s.yaml", THEMES, names[i]);
        size_t len;
        char *text = slurp(path, &len);
        theme_def t;
        char *error = NULL;
        if (theme_parse(&t, path, text, len, &error) < 0)
            fail_msg("%s", error);
        assert_string_equal(t.name, names[i]);
        assert_non_null(t.description);
        assert_complete(path);
        theme_def_free(&t);
        free(text);
        free(path);
    }
}

/* The compiled-in default and mono are the shipped files. */
static void test_builtin_matches_files(void **state)
{
    (void)state;
    setenv("DAPT_THEME_SYSTEM_PATH", "/nonexistent", 1);
    setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
    static const char *const names[] = {"default", "mono"};
    for (size_t i = 0; i < 2; i++) {
        theme_def b, f;
        char *error = NULL;
        assert_int_equal(theme_load(&b, names[i], &error), 0);
        char *path = xasprintf("%s/%s.yaml", THEMES, names[i]);
        size_t len;
        char *text = slurp(path, &len);
        assert_int_equal(theme_parse(&f, path, text, len, &error), 0);
        assert_string_equal(b.description, f.description);
        for (int s = 0; s < SLOT_COUNT; s++) {
            if (b.slots[s].fg != f.slots[s].fg || b.slots[s].bg != f.slots[s].bg ||
                b.slots[s].attrs != f.slots[s].attrs)
                fail_msg("%s: slot %s differs from the built-in", path, theme_slot_name(s));
        }
        assert_int_equal(b.mono, i == 1);
        theme_def_free(&b);
        theme_def_free(&f);
        free(text);
        free(path);
    }
    theme_def t;
    char *error = NULL;
    assert_int_equal(theme_load(&t, "light", &error), -1);
    assert_string_equal(error, "unknown theme `light`");
    free(error);
}

static void test_resolve(void **state)
{
    (void)state;
    theme_def t;
    char *error = NULL;
    const char *text = "slots:\n"
                       "  error: {fg: 196, bg: 16, attrs: [bold]}\n"
                       "  ok: {fg: 34, bg: 28}\n"
                       "  dim: {fg: 8}\n";
    assert_int_equal(theme_parse(&t, "t.yaml", text, strlen(text), &error), 0);
    theme_style st[SLOT_COUNT];
    theme_resolve(&t, 256, st);
    assert_int_equal(st[SLOT_ERROR].fg, 196);
    assert_int_equal(st[SLOT_ERROR].bg, 16);
    theme_resolve(&t, 8, st);
    assert_int_equal(st[SLOT_ERROR].fg, COLOR_RED);
    assert_int_equal(st[SLOT_ERROR].bg, COLOR_BLACK);
    assert_int_equal(st[SLOT_ERROR].attrs, A_BOLD);
    /* two greens that become one: the text stays readable */
    assert_int_equal(st[SLOT_OK].bg, COLOR_GREEN);
    assert_int_equal(st[SLOT_OK].fg, COLOR_BLACK);
    assert_int_equal(st[SLOT_DIM].fg, COLOR_WHITE);
    theme_resolve(&t, 16, st);
    assert_int_equal(st[SLOT_DIM].fg, COLOR_WHITE);
    theme_resolve(&t, 0, st);
    assert_int_equal(st[SLOT_ERROR].fg, -1);
    assert_int_equal(st[SLOT_ERROR].bg, -1);
    assert_int_equal(st[SLOT_ERROR].attrs, A_BOLD);
    t.mono = true;
    theme_resolve(&t, 256, st);
    assert_int_equal(st[SLOT_OK].fg, -1);
    theme_def_free(&t);
}

/* mono keeps selection, header, errors and states apart. */
static void test_mono_distinct(void **state)
{
    (void)state;
    setenv("DAPT_THEME_SYSTEM_PATH", "/nonexistent", 1);
    setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
    theme_def m;
    char *error = NULL;
    assert_int_equal(theme_load(&m, "mono", &error), 0);
    assert_true(m.mono);
    /* pairwise apart within each group (a state is also written out) */
    static const tui_slot groups[][9] = {
        {SLOT_NORMAL, SLOT_SELECTED, SLOT_HEADER, SLOT_ERROR, SLOT_COUNT},
        {SLOT_SELECTED, SLOT_STATE_PENDING, SLOT_STATE_RUNNING, SLOT_STATE_FINISHED,
         SLOT_STATE_FAILED, SLOT_STATE_CANCELLED, SLOT_STATE_INTERRUPTED, SLOT_STATE_SKIPPED,
         SLOT_COUNT},
    };
    for (size_t g = 0; g < 2; g++)
        for (size_t i = 0; groups[g][i] != SLOT_COUNT; i++)
            for (size_t j = i + 1; groups[g][j] != SLOT_COUNT; j++)
                if (m.slots[groups[g][i]].attrs == m.slots[groups[g][j]].attrs)
                    fail_msg("mono: %s looks like %s", theme_slot_name(groups[g][i]),
                             theme_slot_name(groups[g][j]));
    theme_def_free(&m);
}

static char *tmpdir;

static void rm_rf(const char *dir)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void test_search(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/test-theme.XXXXXX";
    tmpdir = mkdtemp(tmpl);
    assert_non_null(tmpdir);
    char *user = xasprintf("%s/dapt/themes", tmpdir);
    char *cmd = xasprintf("mkdir -p '%s'", user);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    setenv("XDG_CONFIG_HOME", tmpdir, 1);
    setenv("DAPT_THEME_SYSTEM_PATH", THEMES, 1);

    /* the shipped light, then the user's of the same name */
    theme_def t;
    char *error = NULL;
    assert_int_equal(theme_load(&t, "light", &error), 0);
    assert_string_equal(t.description, "Light terminals");
    theme_def_free(&t);
    char *path = xasprintf("%s/light.yaml", user);
    write_file(path, "name: my-light\ndescription: mine\nslots:\n  error: {fg: red}\n");
    assert_int_equal(theme_load(&t, "light", &error), 0);
    assert_string_equal(t.description, "mine");
    assert_string_equal(t.name, "light");
    assert_int_equal(t.slots[SLOT_ERROR].fg, COLOR_RED);
    theme_def_free(&t);
    free(path);

    path = xasprintf("%s/zebra.yaml", user);
    write_file(path, "slots:\n  ok: {fg: gren}\n");
    assert_int_equal(theme_load(&t, "zebra", &error), -1);
    char *want = xasprintf("%s:2:12: unknown colour `gren` (did you mean `green`?)", path);
    assert_string_equal(error, want);
    free(want);
    free(error);
    free(path);
    path = xasprintf("%s/not a theme.yaml", user);
    write_file(path, "name: x\n");
    free(path);

    char **names = theme_names();
    const char *const expect[] = {"default", "high-contrast", "light", "mono", "zebra", NULL};
    for (size_t i = 0; expect[i]; i++) {
        assert_non_null(names[i]);
        assert_string_equal(names[i], expect[i]);
    }
    assert_null(names[5]);
    theme_names_free(names);

    assert_int_equal(theme_load(&t, "lihgt", &error), -1);
    assert_string_equal(error, "unknown theme `lihgt` (did you mean `light`?)");
    free(error);
    assert_int_equal(theme_load(&t, "../light", &error), -1);
    assert_string_equal(error, "bad theme name `../light` (letters, digits, - and _)");
    free(error);

    /* no terminal: attributes only; a bad theme keeps the current one */
    assert_int_equal(theme_use("high-contrast", &error), 0);
    assert_string_equal(theme_current(), "high-contrast");
    assert_int_equal(theme_attr(SLOT_SELECTED), A_REVERSE | A_BOLD); /* mono's */
    assert_int_equal(theme_use("zebra", &error), -1);
    assert_non_null(strstr(error, "unknown colour `gren`"));
    free(error);
    assert_string_equal(theme_current(), "high-contrast");
    assert_int_equal(theme_attr(SLOT_HEADER), A_REVERSE);
    assert_int_equal(theme_state_slot(DAPT_STATE_FAILED), SLOT_STATE_FAILED);
    assert_string_equal(theme_slot_name(SLOT_SYN_KEY), "syntax_key");

    rm_rf(tmpdir);
    free(user);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colours), cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_parse),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_shipped), cmocka_unit_test(test_builtin_matches_files),
        cmocka_unit_test(test_resolve), cmocka_unit_test(test_mono_distinct),
        cmocka_unit_test(test_search),
    };
    return cmocka_run_group_tests_name("theme", tests, NULL, NULL);
}
