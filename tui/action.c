/*
 * action.c - the table of actions (TUI_ACTIONS in tui.h) and the keymap.
 * Every action has a name, a scope and help text in one row; the keys are
 * the row's defaults until `keys:` in the config remaps them.  Lookup goes
 * through the view's scope, then "global", so a view can give a key its
 * own meaning (`r` runs in the workflows list, `n` is the next match in a
 * Run view) without a global table knowing.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui.h"

typedef struct action_row {
    const char *name, *scope, *keys, *help;
} action_row;

static const action_row action_rows[ACTION_COUNT] = {
#define ACTION_ROW(id, name, scope, keys, help) [ACTION_##id] = {name, scope, keys, help},
    TUI_ACTIONS(ACTION_ROW)
#undef ACTION_ROW
};

#define KEYS_MAX 6
static tui_key action_bound[ACTION_COUNT][KEYS_MAX];
static int action_nbound[ACTION_COUNT];

/* Bind the space separated keys of `keys` to `a` (replacing its keys).
 * 0, or -1 naming the first key that does not parse. */
static int bind_keys(tui_action a, const char *keys, char **bad)
{
    int n = 0;
    char buf[64];
    const char *p = keys;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == 0)
            break;
        snprintf(buf, sizeof buf, "%.*s", (int)len, p);
        tui_key k = key_parse(buf);
        if (k < 0 && strcmp(buf, "C-Space") != 0) {
            if (bad)
                *bad = xstrdup(buf);
            return -1;
        }
        if (n < KEYS_MAX)
            action_bound[a][n++] = k;
        p += len;
    }
    action_nbound[a] = n;
    return 0;
}

void action_init(void)
{
    for (int a = 0; a < ACTION_COUNT; a++)
        bind_keys((tui_action)a, action_rows[a].keys, NULL);
}

/* "scope.name" or "name" (a global one, or the only one by that name). */
static tui_action find_named(const char *spec)
{
    const char *dot = strchr(spec, '.');
    tui_action found = ACTION_NONE;
    for (int a = 0; a < ACTION_COUNT; a++) {
        const action_row *r = &action_rows[a];
        if (dot) {
            if (strlen(r->scope) == (size_t)(dot - spec) &&
                strncmp(r->scope, spec, (size_t)(dot - spec)) == 0 && strcmp(r->name, dot + 1) == 0)
                return (tui_action)a;
        } else if (strcmp(r->name, spec) == 0) {
            if (strcmp(r->scope, "global") == 0)
                return (tui_action)a;
            if (found == ACTION_NONE)
                found = (tui_action)a;
        }
    }
    return found;
}

int action_remap(const json_t *keys, char **error)
{
    if (keys == NULL || json_is_null(keys))
        return 0;
    if (!json_is_object(keys)) {
        *error = xstrdup("keys: must be a mapping of action names to keys, e.g. {run.cancel: x}");
        return -1;
    }
    int rc = 0;
    const char *spec;
    json_t *v;
    json_object_foreach((json_t *)keys, spec, v) {
        tui_action a = find_named(spec);
        char *bad = NULL;
        if (a == ACTION_NONE) {
            if (rc == 0) {
                /* Suggest among the names as they are written: "run.cancel", "quit". */
                char *full[ACTION_COUNT];
                for (int i = 0; i < ACTION_COUNT; i++)
                    full[i] = strcmp(action_rows[i].scope, "global") == 0
                                  ? xstrdup(action_rows[i].name)
                                  : xasprintf("%s.%s", action_rows[i].scope, action_rows[i].name);
                const char *near = suggest_closest(spec, (const char *const *)full, ACTION_COUNT);
                *error = near ? xasprintf("keys: no action `%s` (did you mean `%s`?)", spec, near)
                              : xasprintf("keys: no action `%s` (press ? in the studio for the "
                                          "list)", spec);
                for (int i = 0; i < ACTION_COUNT; i++)
                    free(full[i]);
            }
            rc = -1;
        } else if (!json_is_string(v) || bind_keys(a, json_string_value(v), &bad) < 0) {
            if (rc == 0)
                *error = xasprintf("keys: %s: `%s` is not a key (write e.g. x, C-x, M-x, F5, "
                                   "Enter, PgDn)", spec, bad ? bad : "?");
            rc = -1;
        }
        free(bad);
    }
    return rc;
}

static tui_action lookup(const char *scope, tui_key key)
{
    for (int a = 0; a < ACTION_COUNT; a++) {
        if (strcmp(action_rows[a].scope, scope) != 0)
            continue;
        for (int i = 0; i < action_nbound[a]; i++)
            if (action_bound[a][i] == key)
                return (tui_action)a;
    }
    return ACTION_NONE;
}

tui_action action_find(const char *scope, tui_key key)
{
    tui_action a = scope ? lookup(scope, key) : ACTION_NONE;
    return a != ACTION_NONE ? a : lookup("global", key);
}

const char *action_name(tui_action a)
{
    return a >= 0 && a < ACTION_COUNT ? action_rows[a].name : "";
}

const char *action_scope(tui_action a)
{
    return a >= 0 && a < ACTION_COUNT ? action_rows[a].scope : "";
}

const char *action_help(tui_action a)
{
    return a >= 0 && a < ACTION_COUNT ? action_rows[a].help : "";
}

const char *action_key(tui_action a, char *buf, size_t size)
{
    if (a < 0 || a >= ACTION_COUNT || action_nbound[a] == 0) {
        if (size)
            buf[0] = '\0';
        return buf;
    }
    return key_label(action_bound[a][0], buf, size);
}

const char *action_keys(tui_action a, char *buf, size_t size)
{
    size_t used = 0;
    if (size)
        buf[0] = '\0';
    for (int i = 0; a >= 0 && a < ACTION_COUNT && i < action_nbound[a]; i++) {
        char one[32];
        int n = snprintf(buf + used, size - used, "%s%s", i ? " " : "",
                         key_label(action_bound[a][i], one, sizeof one));
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    return buf;
}
