/*
 * theme.c - colour slots and themes.
 *
 * The code colours named slots (TUI_SLOTS); a theme, a small YAML file,
 * gives each slot a foreground, a background and attributes.  Reading a
 * theme (theme_parse, theme_load: no terminal needed, so unit tests can)
 * is apart from applying it (theme_apply: init_pair, after start_color).
 *
 * The default and mono themes are compiled in as the same YAML the
 * shipped files hold (tests/unit/test-theme.c checks they agree), parsed
 * by the same parser, so the studio works with no theme file at all.
 */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tui.h"

static const char *const slot_names[] = {
#define SLOT_NAME(id, name) name,
    TUI_SLOTS(SLOT_NAME)
#undef SLOT_NAME
};

/* The 8 base colours by name; "bright-NAME" is 8 more. */
static const char *const colour_names[8] = {
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static const struct {
    const char *name;
    attr_t attr;
} attr_table[] = {
    {"bold", A_BOLD},       {"dim", A_DIM},       {"underline", A_UNDERLINE},
    {"reverse", A_REVERSE}, {"italic", A_ITALIC}, {"standout", A_STANDOUT},
};
#define ATTR_COUNT (sizeof attr_table / sizeof attr_table[0])

/* The compiled-in themes: themes/default.yaml and themes/mono.yaml, less
 * their comments. */
/* clang-format off */
static const char builtin_default[] =
    "name: default\n"
    "description: Dark terminals (the default)\n"
    "slots:\n"
    "  normal: {fg: default, bg: default}\n"
    "  header: {fg: 231, bg: 25}\n"
    "  header_accent: {fg: 220, bg: 25, attrs: [bold]}\n"
    "  crumbs: {fg: 153, bg: 236}\n"
    "  crumbs_current: {fg: 231, bg: 236, attrs: [bold]}\n"
    "  footer: {fg: 250, bg: 236}\n"
    "  hint_key: {fg: 220, bg: 236, attrs: [bold]}\n"
    "  title: {fg: 75, attrs: [bold]}\n"
    "  dim: {fg: 244}\n"
    "  border: {fg: 240}\n"
    "  selected: {fg: 231, bg: 31, attrs: [bold]}\n"
    "  selected_dim: {fg: 252, bg: 238}\n"
    "  match: {fg: 214, attrs: [bold, underline]}\n"
    "  message: {fg: 252}\n"
    "  error: {fg: 203, attrs: [bold]}\n"
    "  warning: {fg: 221}\n"
    "  ok: {fg: 114}\n"
    "  prompt: {fg: 117, attrs: [bold]}\n"
    "  popup: {fg: 252, bg: 237}\n"
    "  popup_selected: {fg: 231, bg: 31, attrs: [bold]}\n"
    "  state_pending: {fg: 245}\n"
    "  state_running: {fg: 81, attrs: [bold]}\n"
    "  state_finished: {fg: 114}\n"
    "  state_failed: {fg: 203, attrs: [bold]}\n"
    "  state_cancelled: {fg: 221}\n"
    "  state_interrupted: {fg: 209}\n"
    "  state_skipped: {fg: 242}\n"
    "  line_number: {fg: 242}\n"
    "  cursor_line: {bg: 235}\n"
    "  gutter_error: {fg: 203, attrs: [bold]}\n"
    "  gutter_warning: {fg: 221, attrs: [bold]}\n"
    "  syntax_key: {fg: 117}\n"
    "  syntax_string: {fg: 150}\n"
    "  syntax_number: {fg: 215}\n"
    "  syntax_bool: {fg: 176}\n"
    "  syntax_comment: {fg: 244, attrs: [italic]}\n"
    "  syntax_punct: {fg: 246}\n"
    "  syntax_anchor: {fg: 180}\n"
    "  log_stderr: {fg: 217}\n"
    "  log_engine: {fg: 110}\n"
    "  log_warning: {fg: 221}\n"
    "  log_error: {fg: 203, attrs: [bold]}\n"
    "  log_marker: {fg: 231, bg: 238, attrs: [bold]}\n"
    "  prefix_0: {fg: 81}\n"
    "  prefix_1: {fg: 177}\n"
    "  prefix_2: {fg: 114}\n"
    "  prefix_3: {fg: 215}\n"
    "  prefix_4: {fg: 111}\n"
    "  prefix_5: {fg: 222}\n"
    "  diff_add: {fg: 114}\n"
    "  diff_del: {fg: 203}\n"
    "  diff_hunk: {fg: 75, attrs: [bold]}\n"
    ;
static const char builtin_mono[] =
    "name: mono\n"
    "description: No colours, attributes only\n"
    "slots:\n"
    "  normal: {}\n"
    "  header: {attrs: [reverse]}\n"
    "  header_accent: {attrs: [reverse, bold, underline]}\n"
    "  crumbs: {attrs: [bold]}\n"
    "  crumbs_current: {attrs: [bold, underline]}\n"
    "  footer: {attrs: [reverse]}\n"
    "  hint_key: {attrs: [reverse, bold]}\n"
    "  title: {attrs: [bold, underline]}\n"
    "  dim: {attrs: [dim]}\n"
    "  border: {attrs: [dim]}\n"
    "  selected: {attrs: [reverse, bold]}\n"
    "  selected_dim: {attrs: [reverse]}\n"
    "  match: {attrs: [bold, underline]}\n"
    "  message: {attrs: [bold]}\n"
    "  error: {attrs: [bold, underline]}\n"
    "  warning: {attrs: [underline]}\n"
    "  ok: {attrs: [bold]}\n"
    "  prompt: {attrs: [bold]}\n"
    "  popup: {attrs: [reverse]}\n"
    "  popup_selected: {attrs: [bold]}\n"
    "  state_pending: {attrs: [dim]}\n"
    "  state_running: {attrs: [bold]}\n"
    "  state_finished: {}\n"
    "  state_failed: {attrs: [bold, underline]}\n"
    "  state_cancelled: {attrs: [underline]}\n"
    "  state_interrupted: {attrs: [reverse]}\n"
    "  state_skipped: {attrs: [dim, underline]}\n"
    "  line_number: {attrs: [dim]}\n"
    "  cursor_line: {}\n"
    "  gutter_error: {attrs: [reverse, bold]}\n"
    "  gutter_warning: {attrs: [bold]}\n"
    "  syntax_key: {attrs: [bold]}\n"
    "  syntax_string: {}\n"
    "  syntax_number: {}\n"
    "  syntax_bool: {}\n"
    "  syntax_comment: {attrs: [dim]}\n"
    "  syntax_punct: {}\n"
    "  syntax_anchor: {attrs: [underline]}\n"
    "  log_stderr: {attrs: [italic]}\n"
    "  log_engine: {attrs: [dim]}\n"
    "  log_warning: {attrs: [bold]}\n"
    "  log_error: {attrs: [bold, underline]}\n"
    "  log_marker: {attrs: [reverse]}\n"
    "  prefix_0: {attrs: [bold]}\n"
    "  prefix_1: {attrs: [bold]}\n"
    "  prefix_2: {attrs: [bold]}\n"
    "  prefix_3: {attrs: [bold]}\n"
    "  prefix_4: {attrs: [bold]}\n"
    "  prefix_5: {attrs: [bold]}\n"
    "  diff_add: {attrs: [bold]}\n"
    "  diff_del: {attrs: [dim]}\n"
    "  diff_hunk: {attrs: [underline]}\n"
    ;
/* clang-format on */

static const struct {
    const char *name;
    const char *text;
} builtins[] = {
    {"default", builtin_default},
    {"mono", builtin_mono},
};
#define BUILTIN_COUNT (sizeof builtins / sizeof builtins[0])

/* ------------------------------------------------------------------ */
/* Colours                                                             */
/* ------------------------------------------------------------------ */

/* The RGB of an xterm palette entry: the 16 system colours as xterm sets
 * them, the 6x6x6 cube, the 24 greys. */
static void xterm_rgb(int c, int rgb[3])
{
    static const int sys[16][3] = {
        {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
        {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
        {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
        {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
    };
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    if (c < 16) {
        memcpy(rgb, sys[c], sizeof sys[c]);
    } else if (c < 232) {
        c -= 16;
        rgb[0] = level[c / 36];
        rgb[1] = level[c / 6 % 6];
        rgb[2] = level[c % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
    }
}

static long rgb_distance(const int a[3], const int b[3])
{
    long d = 0;
    for (int i = 0; i < 3; i++)
        d += (long)(a[i] - b[i]) * (a[i] - b[i]);
    return d;
}

/* The palette entry in [from, to) nearest to rgb. */
static int nearest_rgb(const int rgb[3], int from, int to)
{
    int best = from;
    long best_d = -1;
    for (int c = from; c < to; c++) {
        int p[3];
        xterm_rgb(c, p);
        long d = rgb_distance(rgb, p);
        if (best_d < 0 || d < best_d) {
            best = c;
            best_d = d;
        }
    }
    return best;
}

int theme_nearest(int colour, int n)
{
    if (colour < n || colour < 0)
        return colour;
    int rgb[3];
    xterm_rgb(colour, rgb);
    int lo = rgb[0], hi = rgb[0];
    for (int i = 1; i < 3; i++) {
        lo = rgb[i] < lo ? rgb[i] : lo;
        hi = rgb[i] > hi ? rgb[i] : hi;
    }
    /* a grey stays a grey (black or white): by distance alone a mid grey
     * is nearer yellow than white */
    if (n == 8 && hi - lo < 32) {
        int black[3], white[3];
        xterm_rgb(COLOR_BLACK, black);
        xterm_rgb(COLOR_WHITE, white);
        return rgb_distance(rgb, black) < rgb_distance(rgb, white) ? COLOR_BLACK : COLOR_WHITE;
    }
    return nearest_rgb(rgb, 0, n);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int theme_parse_colour(const char *text)
{
    if (strcmp(text, "default") == 0)
        return -1;
    for (int i = 0; i < 8; i++) {
        if (strcmp(text, colour_names[i]) == 0)
            return i;
        if (strncmp(text, "bright-", 7) == 0 && strcmp(text + 7, colour_names[i]) == 0)
            return 8 + i;
    }
    if (text[0] == '#') {
        int rgb[3];
        if (strlen(text) != 7)
            return -2;
        for (int i = 0; i < 3; i++) {
            int hi = hex_digit(text[1 + 2 * i]), lo = hex_digit(text[2 + 2 * i]);
            if (hi < 0 || lo < 0)
                return -2;
            rgb[i] = hi * 16 + lo;
        }
        /* 16..255 only: terminals redefine the 16 system colours, never
         * the cube and the greys */
        return nearest_rgb(rgb, 16, 256);
    }
    if (text[0] >= '0' && text[0] <= '9' && strlen(text) <= 3) {
        int n = 0;
        for (const char *p = text; *p; p++) {
            if (*p < '0' || *p > '9')
                return -2;
            n = n * 10 + (*p - '0');
        }
        return n <= 255 ? n : -2;
    }
    return -2;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

typedef struct parser {
    const char *file;
    char *error; /* the first one */
} parser;

static int fail(parser *p, dapt_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(parser *p, dapt_pos pos, const char *fmt, ...)
{
    if (p->error == NULL) {
        va_list ap;
        va_start(ap, fmt);
        char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        p->error = xasprintf("%s:%d:%d: %s", p->file, pos.line, pos.column, msg);
        free(msg);
    }
    return -1;
}

/* "unknown WHAT `X` (did you mean `Y`?)", or the choices when none is close. */
static int fail_unknown(parser *p, const ynode *n, const char *what, const char *const *names,
                        size_t count)
{
    const char *close = suggest_closest(n->str, names, count);
    if (close)
        return fail(p, n->pos, "unknown %s `%s` (did you mean `%s`?)", what, n->str, close);
    strbuf sb = {0};
    for (size_t i = 0; i < count && i < 8; i++)
        strbuf_printf(&sb, "%s%s", i ? ", " : "", names[i]);
    if (count > 8)
        strbuf_puts(&sb, ", ...");
    fail(p, n->pos, "unknown %s `%s` (one of: %s)", what, n->str, sb.buf);
    strbuf_free(&sb);
    return -1;
}

static bool is_text(const ynode *n)
{
    return n && n->type == YNODE_SCALAR && !ynode_is_null(n);
}

static int parse_colour(parser *p, const ynode *n, const char *key, short *out)
{
    if (n == NULL || ynode_is_null(n))
        return fail(p, n ? n->pos : (dapt_pos){0, 0},
                    "`%s` has no colour (a \"#rrggbb\" colour must be quoted)", key);
    if (n->type != YNODE_SCALAR)
        return fail(p, n->pos, "`%s` must be a colour, not %s", key, ynode_describe(n));
    int c = theme_parse_colour(n->str);
    if (c != -2) {
        *out = (short)c;
        return 0;
    }
    if (n->str[0] == '#')
        return fail(p, n->pos, "bad colour `%s` (write \"#rrggbb\")", n->str);
    if (n->str[0] >= '0' && n->str[0] <= '9')
        return fail(p, n->pos, "colour `%s` is out of range (0..255)", n->str);
    const char *names[17];
    char bright[8][16];
    names[0] = "default";
    for (int i = 0; i < 8; i++) {
        names[1 + i] = colour_names[i];
        snprintf(bright[i], sizeof bright[i], "bright-%s", colour_names[i]);
        names[9 + i] = bright[i];
    }
    return fail_unknown(p, n, "colour", names, 17);
}

static int parse_attr(parser *p, const ynode *n, attr_t *out)
{
    if (!is_text(n))
        return fail(p, n->pos, "an attribute must be a name, not %s", ynode_describe(n));
    for (size_t i = 0; i < ATTR_COUNT; i++) {
        if (strcmp(n->str, attr_table[i].name) == 0) {
            *out |= attr_table[i].attr;
            return 0;
        }
    }
    const char *names[ATTR_COUNT];
    for (size_t i = 0; i < ATTR_COUNT; i++)
        names[i] = attr_table[i].name;
    return fail_unknown(p, n, "attribute", names, ATTR_COUNT);
}

static int parse_attrs(parser *p, const ynode *n, attr_t *out)
{
    *out = 0;
    if (ynode_is_null(n))
        return 0;
    if (n->type == YNODE_SCALAR) /* attrs: bold */
        return parse_attr(p, n, out);
    if (n->type != YNODE_SEQ)
        return fail(p, n->pos, "`attrs` must be a list, not %s", ynode_describe(n));
    for (size_t i = 0; i < n->count; i++)
        if (parse_attr(p, n->items[i], out) < 0)
            return -1;
    return 0;
}

/* A slot given in the theme: what it does not say is `default` and no
 * attribute (not the default theme's: a slot is taken whole). */
static int parse_style(parser *p, const ynode *n, const char *slot, theme_style *out)
{
    static const char *const keys[] = {"fg", "bg", "attrs"};
    *out = (theme_style){-1, -1, 0};
    if (ynode_is_null(n))
        return 0;
    if (n->type != YNODE_MAP)
        return fail(p, n->pos, "slot `%s` must be a mapping {fg, bg, attrs}, not %s", slot,
                    ynode_describe(n));
    for (size_t i = 0; i < n->count; i++) {
        const ynode *k = n->keys[i], *v = n->items[i];
        int rc;
        if (strcmp(k->str, "fg") == 0)
            rc = parse_colour(p, v, "fg", &out->fg);
        else if (strcmp(k->str, "bg") == 0)
            rc = parse_colour(p, v, "bg", &out->bg);
        else if (strcmp(k->str, "attrs") == 0)
            rc = parse_attrs(p, v, &out->attrs);
        else
            rc = fail_unknown(p, k, "key", keys, 3);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int parse_slots(parser *p, const ynode *n, theme_def *out)
{
    if (ynode_is_null(n))
        return 0;
    if (n->type != YNODE_MAP)
        return fail(p, n->pos, "`slots` must be a mapping, not %s", ynode_describe(n));
    for (size_t i = 0; i < n->count; i++) {
        const ynode *k = n->keys[i];
        size_t s = 0;
        while (s < SLOT_COUNT && strcmp(slot_names[s], k->str) != 0)
            s++;
        if (s == SLOT_COUNT)
            return fail_unknown(p, k, "slot", slot_names, SLOT_COUNT);
        if (parse_style(p, n->items[i], k->str, &out->slots[s]) < 0)
            return -1;
    }
    return 0;
}

static int parse_string(parser *p, const ynode *n, const char *key, char **out)
{
    if (!is_text(n))
        return fail(p, n->pos, "`%s` must be a string, not %s", key, ynode_describe(n));
    free(*out);
    *out = xstrdup(n->str);
    return 0;
}

static int parse_root(parser *p, const ynode *root, theme_def *out)
{
    static const char *const keys[] = {"name", "description", "slots"};
    if (root == NULL || root->type != YNODE_MAP)
        return fail(p, root ? root->pos : (dapt_pos){1, 1},
                    "a theme is a mapping (name, description, slots), not %s",
                    root ? ynode_describe(root) : "an empty document");
    for (size_t i = 0; i < root->count; i++) {
        const ynode *k = root->keys[i], *v = root->items[i];
        int rc;
        if (strcmp(k->str, "name") == 0)
            rc = parse_string(p, v, "name", &out->name);
        else if (strcmp(k->str, "description") == 0)
            rc = parse_string(p, v, "description", &out->description);
        else if (strcmp(k->str, "slots") == 0)
            rc = parse_slots(p, v, out);
        else
            rc = fail_unknown(p, k, "key", keys, 3);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Parse over `base` (the slots a theme omits keep base's values). */
static int parse_over(theme_def *out, const theme_style *base, const char *file, const char *text,
                      size_t len, char **error)
{
    parser p = {.file = file};
    dapt_diags diags = {0};
    ydocs docs;
    memset(out, 0, sizeof *out);
    for (size_t s = 0; s < SLOT_COUNT; s++)
        out->slots[s] = base ? base[s] : (theme_style){-1, -1, 0};
    int rc = ynode_parse(&docs, file, text, len, &diags);
    if (rc < 0 || diags.count) {
        const dapt_diag *d = &diags.items[0];
        if (diags.count)
            fail(&p, d->pos, "%s", d->message);
        else
            fail(&p, (dapt_pos){1, 1}, "cannot read the YAML");
        rc = -1;
    } else if (docs.count > 1) {
        rc = fail(&p, docs.docs[1].pos, "a theme is one YAML document");
    } else {
        rc = parse_root(&p, docs.count ? docs.docs[0].root : NULL, out);
    }
    ynode_docs_free(&docs);
    dapt_diags_free(&diags);
    if (rc < 0) {
        theme_def_free(out);
        *error = p.error;
        return -1;
    }
    out->mono = out->name && strcmp(out->name, "mono") == 0;
    return 0;
}

/* The built-in default's slots: what every theme omits. */
static const theme_style *default_slots(void)
{
    static theme_style slots[SLOT_COUNT];
    static bool ready;
    if (!ready) {
        theme_def t;
        char *error = NULL;
        if (parse_over(&t, NULL, "<built-in default>", builtin_default, strlen(builtin_default),
                       &error) < 0)
            abort(); /* a bug in the string above; test-theme catches it first */
        memcpy(slots, t.slots, sizeof slots);
        theme_def_free(&t);
        ready = true;
    }
    return slots;
}

int theme_parse(theme_def *out, const char *file, const char *text, size_t len, char **error)
{
    return parse_over(out, default_slots(), file, text, len, error);
}

void theme_def_free(theme_def *t)
{
    free(t->name);
    free(t->description);
    t->name = t->description = NULL;
}

/* ------------------------------------------------------------------ */
/* Finding themes                                                      */
/* ------------------------------------------------------------------ */

#ifdef DAPT_THEMEDIR
static bool is_dir(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
#endif

/* $XDG_CONFIG_HOME/dapt/themes (or ~/.config/dapt/themes); NULL: none.
 * Caller frees. */
static char *user_dir(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    /* relative values are ignored, as the XDG Base Directory spec says */
    if (xdg && *xdg == '/')
        return xasprintf("%s/dapt/themes", xdg);
    if (home && *home)
        return xasprintf("%s/.config/dapt/themes", home);
    return NULL;
}

/* $DAPT_THEME_SYSTEM_PATH, else the installed folder, else (an
 * uninstalled build) the source tree's.  Borrowed; NULL: none. */
static const char *system_dir(void)
{
    const char *env = getenv("DAPT_THEME_SYSTEM_PATH");
    if (env && *env)
        return env;
#ifdef DAPT_THEMEDIR
    if (is_dir(DAPT_THEMEDIR))
        return DAPT_THEMEDIR;
#endif
#ifdef DAPT_SOURCE_THEMEDIR
    return DAPT_SOURCE_THEMEDIR;
#else
    return NULL;
#endif
}

/* A theme name is a file name: letters, digits, - and _ (no path). */
static bool valid_name(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > 64)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return false;
    return true;
}

/* Read a whole file; NULL when it is not there. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    *len = sb.len;
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

/* A path for messages: ~/... under $HOME (the footer is one line).
 * Caller frees. */
static char *shown_path(const char *path)
{
    const char *home = getenv("HOME");
    size_t n = home ? strlen(home) : 0;
    if (n > 1 && strncmp(path, home, n) == 0 && path[n] == '/')
        return xasprintf("~%s", path + n);
    return xstrdup(path);
}

/* Parse DIR/NAME.yaml into out: 1 when found and read, 0 when not there,
 * -1 when it is bad. */
static int load_from(theme_def *out, const char *dir, const char *name, char **error)
{
    if (dir == NULL)
        return 0;
    char *path = xasprintf("%s/%s.yaml", dir, name);
    size_t len = 0;
    char *text = read_file(path, &len);
    int rc = 0;
    if (text) {
        char *shown = shown_path(path);
        rc = theme_parse(out, shown, text, len, error) < 0 ? -1 : 1;
        free(shown);
    }
    free(text);
    free(path);
    return rc;
}

int theme_load(theme_def *out, const char *name, char **error)
{
    if (!valid_name(name)) {
        *error = xasprintf("bad theme name `%s` (letters, digits, - and _)", name ? name : "");
        return -1;
    }
    char *user = user_dir();
    int rc = load_from(out, user, name, error);
    free(user);
    if (rc == 0)
        rc = load_from(out, system_dir(), name, error);
    for (size_t i = 0; rc == 0 && i < BUILTIN_COUNT; i++) {
        if (strcmp(builtins[i].name, name) == 0) {
            char *file = xasprintf("<built-in %s>", name);
            rc = theme_parse(out, file, builtins[i].text, strlen(builtins[i].text), error) < 0 ? -1
                                                                                               : 1;
            free(file);
        }
    }
    if (rc < 0)
        return -1;
    if (rc == 0) {
        char **names = theme_names();
        size_t n = 0;
        while (names[n])
            n++;
        const char *close = suggest_closest(name, (const char *const *)names, n);
        if (close)
            *error = xasprintf("unknown theme `%s` (did you mean `%s`?)", name, close);
        else
            *error = xasprintf("unknown theme `%s`", name);
        theme_names_free(names);
        return -1;
    }
    /* the name it was asked by is its name (a user's copy may say another) */
    free(out->name);
    out->name = xstrdup(name);
    out->mono = strcmp(name, "mono") == 0;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the NAME of every DIR/NAME.yaml with a valid name. */
static void add_dir_names(char ***names, size_t *n, const char *dir)
{
    DIR *d = dir ? opendir(dir) : NULL;
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char *name = xstrndup(e->d_name, len - 5);
        if (!valid_name(name)) {
            free(name);
            continue;
        }
        *names = xrealloc(*names, *n + 2, sizeof **names);
        (*names)[(*n)++] = name;
    }
    closedir(d);
}

char **theme_names(void)
{
    char **names = NULL;
    size_t n = 0;
    for (size_t i = 0; i < BUILTIN_COUNT; i++) {
        names = xrealloc(names, n + 2, sizeof *names);
        names[n++] = xstrdup(builtins[i].name);
    }
    add_dir_names(&names, &n, system_dir());
    char *user = user_dir();
    add_dir_names(&names, &n, user);
    free(user);
    qsort(names, n, sizeof *names, compare_names);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out && strcmp(names[out - 1], names[i]) == 0)
            free(names[i]);
        else
            names[out++] = names[i];
    }
    names[out] = NULL;
    return names;
}

void theme_names_free(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

/* ------------------------------------------------------------------ */
/* Applying                                                            */
/* ------------------------------------------------------------------ */

/* Whether a colour looks dark (for a foreground that must stand out). */
static bool is_dark(int c)
{
    int rgb[3];
    xterm_rgb(c, rgb);
    return rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114 < 110000;
}

void theme_resolve(const theme_def *t, int colours, theme_style *out)
{
    for (size_t s = 0; s < SLOT_COUNT; s++) {
        theme_style st = t->slots[s];
        if (colours <= 0 || t->mono) {
            st.fg = st.bg = -1;
        } else if (colours < 256) {
            st.fg = (short)theme_nearest(st.fg, 8);
            st.bg = (short)theme_nearest(st.bg, 8);
            /* two shades that became one colour: keep the text readable */
            if (st.fg >= 0 && st.fg == st.bg)
                st.fg = is_dark(st.bg) ? COLOR_WHITE : COLOR_BLACK;
        }
        out[s] = st;
    }
}

static struct {
    char *name;
    attr_t attrs[SLOT_COUNT];
    bool set;
} current;

/* The colours the terminal can show: 0 without colours, with NO_COLOR set
 * (no-color.org), or too few colour pairs for the slots. */
static int colours_available(void)
{
    const char *nc = getenv("NO_COLOR");
    if ((nc && *nc) || stdscr == NULL || !has_colors())
        return 0;
    if (COLORS == 0) /* the app starts colours; in case it has not */
        start_color();
    if (COLOR_PAIRS <= (int)SLOT_COUNT)
        return 0;
    return COLORS;
}

void theme_apply(const theme_def *t)
{
    int colours = colours_available();
    theme_style st[SLOT_COUNT];
    theme_resolve(t, colours, st);
    if (colours > 0 && !t->mono)
        use_default_colors(); /* so that `default` is the terminal's own */
    for (size_t s = 0; s < SLOT_COUNT; s++) {
        current.attrs[s] = st[s].attrs;
        if (colours > 0 && !t->mono) {
            init_pair((short)(s + 1), st[s].fg, st[s].bg);
            current.attrs[s] |= COLOR_PAIR((int)s + 1);
        }
    }
    free(current.name);
    current.name = xstrdup(t->name ? t->name : "default");
    current.set = true;
}

int theme_use(const char *name, char **error)
{
    theme_def t;
    if (theme_load(&t, name, error) < 0)
        return -1;
    if (colours_available() == 0 && !t.mono) {
        /* no colours: the mono theme's attributes keep the slots apart
         * (what the user asked for stays the name shown) */
        theme_def mono;
        char *ignored = NULL;
        if (theme_load(&mono, "mono", &ignored) == 0) {
            memcpy(t.slots, mono.slots, sizeof t.slots);
            t.mono = true;
            theme_def_free(&mono);
        }
        free(ignored);
    }
    theme_apply(&t);
    theme_def_free(&t);
    return 0;
}

const char *theme_current(void)
{
    return current.set ? current.name : "default";
}

const char *theme_slot_name(tui_slot slot)
{
    return slot_names[slot];
}

attr_t theme_attr(tui_slot slot)
{
    if (!current.set || slot < 0 || slot >= SLOT_COUNT)
        return A_NORMAL;
    return current.attrs[slot];
}

tui_slot theme_state_slot(dapt_state state)
{
    switch (state) {
    case DAPT_STATE_PENDING:
        return SLOT_STATE_PENDING;
    case DAPT_STATE_RUNNING:
        return SLOT_STATE_RUNNING;
    case DAPT_STATE_FINISHED:
        return SLOT_STATE_FINISHED;
    case DAPT_STATE_FAILED:
        return SLOT_STATE_FAILED;
    case DAPT_STATE_CANCELLED:
        return SLOT_STATE_CANCELLED;
    case DAPT_STATE_INTERRUPTED:
        return SLOT_STATE_INTERRUPTED;
    case DAPT_STATE_SKIPPED:
        return SLOT_STATE_SKIPPED;
    }
    return SLOT_NORMAL;
}
