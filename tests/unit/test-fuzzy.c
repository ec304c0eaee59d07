/*
 * test-fuzzy.c - unit tests of tui/fuzzy.c (fuzzy_score and its helpers).
 *
 * Scores are compared with each other, not with numbers: the constants may
 * be tuned, the order they give may not.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "tui.h"

static int score(const char *pattern, const char *text)
{
    return fuzzy_score(pattern, text, NULL);
}

/* The placement as "0 6" (byte offsets). */
static void assert_pos(const char *pattern, const char *text, const char *want)
{
    size_t pos[64];
    assert_true(fuzzy_score(pattern, text, pos) >= 0);
    char got[256] = "";
    for (size_t i = 0; i < strlen(pattern); i++) {
        size_t n = strlen(got);
        snprintf(got + n, sizeof got - n, "%s%zu", i ? " " : "", pos[i]);
    }
    assert_string_equal(got, want);
}

static void test_no_match(void **state)
{
    (void)state;
    assert_int_equal(score("abc", "xyz"), -1);
    assert_int_equal(score("ba", "ab"), -1);        /* order matters */
    assert_int_equal(score("fetchx", "fetch"), -1); /* longer than the text */
    assert_int_equal(score("ff", "fetch"), -1);     /* each byte once */
    assert_int_equal(score("x", ""), -1);
}

static void test_empty_pattern(void **state)
{
    (void)state;
    assert_int_equal(score("", "anything"), 0);
    assert_int_equal(score("", ""), 0);
}

static void test_exact_first(void **state)
{
    (void)state;
    int exact = score("fetch", "fetch");
    assert_true(exact > score("fetch", "fetch_all"));
    assert_true(exact > score("fetch", "fetchx"));
    assert_true(exact > score("fetch", "stages.fetch"));
    assert_true(exact > score("fetch", "f.e.t.c.h"));
}

static void test_prefix_beats_the_rest(void **state)
{
    (void)state;
    /* a prefix beats a whole word later on, and scattered word starts */
    assert_true(score("wea", "weather.stages.fetch") > score("wea", "cities.stages.weather"));
    assert_true(score("sfe", "sfexxxxxxxxx") > score("sfe", "stages.fetch"));
    assert_true(score("fe", "fe_long_name_here_x") > score("fe", "x.fetch"));
    /* among prefixes, the shorter text */
    assert_true(score("fetch", "fetch_all") > score("fetch", "fetch_everything"));
}

static void test_word_starts(void **state)
{
    (void)state;
    /* after . _ - / and space, and camelCase humps */
    assert_true(score("fw", "fetch_weather") > score("fw", "xxfwxxxxxxxxx"));
    assert_true(score("fw", "fetch.weather") > score("fw", "fetchweatherx"));
    assert_true(score("fw", "fetch-weather") > score("fw", "fetchweatherx"));
    assert_true(score("fw", "fetch/weather") > score("fw", "fetchweatherx"));
    assert_true(score("fw", "fetch weather") > score("fw", "fetchweatherx"));
    assert_true(score("fw", "fetchWeather") > score("fw", "fetchweather"));
    /* the placement goes to the word starts */
    assert_pos("fw", "fetch_weather", "0 6");
    assert_pos("sf", "stages.fetch", "0 7");
    assert_pos("fw", "FetchWeather", "0 5");
    assert_pos("wsf", "weather.stages.fetch", "0 8 15");
    assert_pos("wea", "cities.stages.weather", "14 15 16");
}

static void test_runs(void **state)
{
    (void)state;
    /* a run beats the same bytes apart, even on word starts */
    assert_true(score("fet", "a_fet_b") > score("fet", "f_e_t_b"));
    assert_true(score("abc", "xabcx") > score("abc", "xaxbxc"));
    assert_pos("abc", "a_b_abc", "4 5 6");
    /* smaller gaps cost less */
    assert_true(score("ac", "xabcxxx") > score("ac", "xabbbbc"));
}

static void test_case(void **state)
{
    (void)state;
    assert_int_equal(score("FETCH", "fetch"), score("fetch", "fetch"));
    assert_int_equal(score("Fetch", "fetch_all"), score("fetch", "fetch_all"));
    assert_true(score("fw", "FETCH_WEATHER") >= 0);
    assert_pos("WEA", "cities.stages.Weather", "14 15 16");
    /* bytes above ASCII compare as they are */
    assert_true(score("é", "café") >= 0);
    assert_int_equal(score("É", "café"), -1);
}

static void test_deterministic(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(score("pst", "plugin_0042.stages.fetch_weather_07"),
                         score("pst", "plugin_0042.stages.fetch_weather_07"));
    /* the prepared form agrees with the plain one */
    const char *text = "Plugin_0042.Stages.fetchWeather_07";
    char ltext[64];
    for (size_t i = 0; i <= strlen(text); i++)
        ltext[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
    assert_int_equal(fuzzy_score_prepared("psfw", 4, text, ltext, strlen(text), NULL),
                     score("psfw", text));
}

/* fuzzy_bound never undercuts a real score of a match that is not a
 * prefix (the ranking skips texts by it). */
static void test_bound(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "plugin_0042.stages.fetch_weather_07",
        "cities.stages.weather",
        "FetchWeatherNow",
        "a_b_c_d_e_f",
        "abcabcabcabc",
        "x",
        "dapt.echo",
        "some-long/path with spaces",
    };
    static const char *const patterns[] = {"a",   "ab",  "sfw", "fw",  "w",    "e",
                                           "abc", "pst", "th",  "c_d", "echo", "p0042sfw07"};
    size_t bounded = 0;
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        size_t n = strlen(texts[t]);
        fuzzy_sig sig;
        fuzzy_sign(&sig, texts[t], n);
        for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
            size_t m = strlen(patterns[p]);
            if (m <= n && strncasecmp(patterns[p], texts[t], m) == 0)
                continue;
            fuzzy_sig psig;
            fuzzy_sign(&psig, patterns[p], m);
            int s = score(patterns[p], texts[t]);
            if (!fuzzy_may_match(&psig, &sig))
                assert_int_equal(s, -1);
            if (s >= 0) {
                assert_true(s <= fuzzy_bound(patterns[p], m, n, &sig));
                bounded++;
            }
        }
    }
    assert_true(bounded > 20);
    /* the bound is reached by a run at a word start */
    fuzzy_sig sig;
    fuzzy_sign(&sig, "a.stages.predict_x", 18);
    assert_int_equal(fuzzy_bound("pr", 2, 18, &sig), score("pr", "a.stages.predict_x"));
}

/* Long texts and patterns take the allocating paths. */
static void test_long(void **state)
{
    (void)state;
    char text[2000], pattern[300];
    for (size_t i = 0; i < sizeof text - 1; i++)
        text[i] = (char)('a' + i % 26);
    text[sizeof text - 1] = '\0';
    for (size_t i = 0; i < sizeof pattern - 1; i++)
        pattern[i] = (char)('a' + (i * 3) % 26);
    pattern[sizeof pattern - 1] = '\0';
    size_t *pos = calloc(sizeof pattern, sizeof *pos);
    int s = fuzzy_score(pattern, text, pos);
    assert_true(s >= 0);
    for (size_t i = 1; i < strlen(pattern); i++) {
        assert_true(pos[i] > pos[i - 1]);
        assert_int_equal(text[pos[i]], pattern[i]);
    }
    assert_int_equal(fuzzy_score(pattern, text, NULL), s);
    free(pos);
}

/* The table kept for the placement and the two rows reused without it
 * give the same score; the placement is increasing and on the pattern's
 * bytes.  Random texts over a small alphabet make many placements. */
static void test_placement_agrees(void **state)
{
    (void)state;
    static const char alphabet[] = "abAB._c";
    unsigned long seed = 42;
    for (int round = 0; round < 2000; round++) {
        char text[40], pattern[8];
        seed = seed * 6364136223846793005ul + 1442695040888963407ul;
        size_t n = 1 + (seed >> 33) % 30, m = 1 + (seed >> 40) % 6;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ul + 1442695040888963407ul;
            text[i] = alphabet[(seed >> 33) % (sizeof alphabet - 1)];
        }
        text[n] = '\0';
        for (size_t i = 0; i < m; i++) {
            seed = seed * 6364136223846793005ul + 1442695040888963407ul;
            pattern[i] = alphabet[(seed >> 33) % 3];
        }
        pattern[m] = '\0';
        size_t pos[8];
        int with = fuzzy_score(pattern, text, pos), without = fuzzy_score(pattern, text, NULL);
        assert_int_equal(with, without);
        for (size_t i = 0; with >= 0 && i < m; i++) {
            assert_true(i == 0 || pos[i] > pos[i - 1]);
            assert_true(pos[i] < n);
            assert_int_equal(text[pos[i]] | 0x20, pattern[i] | 0x20);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_match),
        cmocka_unit_test(test_empty_pattern),
        cmocka_unit_test(test_exact_first),
        cmocka_unit_test(test_prefix_beats_the_rest),
        cmocka_unit_test(test_word_starts),
        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_case),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_long),
        cmocka_unit_test(test_placement_agrees),
    };
    return cmocka_run_group_tests_name("fuzzy", tests, NULL, NULL);
}
