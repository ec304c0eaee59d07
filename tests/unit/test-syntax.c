/*
 * test-syntax.c - unit tests of tui/syntax.c, the editor's YAML colours.
 *
 * Each line's colours are written as one letter per byte, so a test reads
 * as the line it colours: . normal, k key, s string, n number, b boolean
 * or null, c comment, p punctuation, a anchor/alias/tag.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui.h"

static char letter(unsigned char slot)
{
    switch (slot) {
    case SLOT_SYN_KEY:
        return 'k';
    case SLOT_SYN_STRING:
        return 's';
    case SLOT_SYN_NUMBER:
        return 'n';
    case SLOT_SYN_BOOL:
        return 'b';
    case SLOT_SYN_COMMENT:
        return 'c';
    case SLOT_SYN_PUNCT:
        return 'p';
    case SLOT_SYN_ANCHOR:
        return 'a';
    case SLOT_NORMAL:
        return '.';
    default:
        return '?';
    }
}

/* Colour `lines` (NULL-terminated) in turn, each against its mask. */
static void check(const char *const *lines, const char *const *masks)
{
    syntax_state st = {0};
    for (size_t i = 0; lines[i]; i++) {
        size_t len = strlen(lines[i]);
        unsigned char slots[256];
        char got[256];
        assert_true(len < sizeof got);
        syntax_line(&st, lines[i], len, slots);
        /* Plain spaces show as spaces. */
        for (size_t k = 0; k < len; k++)
            got[k] = slots[k] == SLOT_NORMAL && lines[i][k] == ' ' ? ' ' : letter(slots[k]);
        got[len] = '\0';
        if (strcmp(got, masks[i]) != 0)
            fail_msg("line %zu \"%s\":\n got  %s\n want %s", i, lines[i], got, masks[i]);
    }
}

static void test_basic(void **state)
{
    (void)state;
    const char *lines[] = {
        "name: etl # the name", "  - port: 8080",         "    ok: true", "    none: ~",
        "    ratio: -1.5e3",    "    url: http://x:80/a", "---",          NULL,
    };
    const char *masks[] = {
        "kkkkp ... cccccccccc", "  p kkkkp nnnn",         "    kkp bbbb", "    kkkkp b",
        "    kkkkkp nnnnnn",    "    kkkp .............", "ppp",
    };
    check(lines, masks);
}

static void test_quoted(void **state)
{
    (void)state;
    /* # and : inside quotes are text; a quoted key is a key. */
    const char *lines[] = {
        "msg: \"a # b: c\" # real", "'k: x': 'it''s'",
        "s: \"esc \\\" # still\"",  "long: \"one",
        "  two # in\" # out",       NULL,
    };
    const char *const masks[] = {
        "kkkp ssssssssss cccccc", "kkkkkkp sssssss", "kp ssssssssssssssss", "kkkkp ssss",
        "sssssssssss ccccc",
    };
    check(lines, masks);
}

static void test_flow_anchors(void **state)
{
    (void)state;
    const char *lines[] = {
        "deps: [a, \"b,c\", 3]", "m: {x: 1, y: [true,", "  null]}",
        "base: &base !!map",     "use: *base",          NULL,
    };
    const char *masks[] = {
        "kkkkp p.p sssssp np", "kp pkp np kp pbbbbp", "  bbbbpp", "kkkkp aaaaa aaaaa", "kkkp aaaaa",
    };
    check(lines, masks);
}

static void test_block_scalar(void **state)
{
    (void)state;
    const char *lines[] = {
        "script: |",
        "  echo \"# not a comment\"",
        "",
        "    key: not a key",
        "next: >- # folded",
        "  text",
        "- run: |+",
        "    inside",
        "  - out: 1",
        NULL,
    };
    const char *masks[] = {
        "kkkkkkp p",
        "  ssssssssssssssssssssss",
        "",
        "    ssssssssssssss",
        "kkkkp pp cccccccc",
        "  ssss",
        "p kkkp pp",
        "    ssssss",
        "  p kkkp n",
    };
    check(lines, masks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_flow_anchors),
        cmocka_unit_test(test_block_scalar),
    };
    return cmocka_run_group_tests_name("syntax", tests, NULL, NULL);
}
