/* suggest.c - "did you mean": the closest candidate by edit distance. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Optimal string alignment distance (Levenshtein plus adjacent swaps, the
 * commonest typo), case-insensitive: "Target" is one step from "target"
 * in spirit, and a suggestion is what we want, not a metric. */
size_t suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) /* names, not essays */
        return (size_t)-1;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            char ca = a[i - 1], cb = b[j - 1];
            if (ca >= 'A' && ca <= 'Z')
                ca = (char)(ca - 'A' + 'a');
            if (cb >= 'A' && cb <= 'Z')
                cb = (char)(cb - 'A' + 'a');
            size_t cost = ca != cb;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *suggest_closest(const char *word, const char *const *candidates, size_t count)
{
    size_t len = strlen(word);
    /* Allow about one edit per three letters, at least one, at most three. */
    size_t limit = len / 3;
    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < count; i++) {
        if (candidates[i] == NULL || strcmp(candidates[i], word) == 0)
            continue;
        /* the distance is at least the difference in length: skip cheaply */
        size_t clen = strlen(candidates[i]);
        if ((clen > len ? clen - len : len - clen) >= best_d)
            continue;
        size_t d = suggest_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}
