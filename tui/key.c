/*
 * key.c - key codes and their names, one table both ways: what the
 * config's `keys:` says ("C-s", "PgDn") and what the footer and `?` show.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tui.h"

typedef struct key_named {
    const char *name;
    tui_key key;
} key_named;

/* Names first found win when printing, so the usual spelling comes first. */
static const key_named key_names[] = {
    {"Enter", TUI_KEY_ENTER},
    {"Enter", TUI_KEY_FN | KEY_ENTER},
    {"Esc", TUI_KEY_ESC},
    {"Tab", TUI_KEY_TAB},
    {"S-Tab", TUI_KEY_FN | KEY_BTAB},
    {"Space", ' '},
    {"Backspace", TUI_KEY_BACKSPACE},
    {"Backspace", TUI_KEY_FN | KEY_BACKSPACE},
    {"Up", TUI_KEY_FN | KEY_UP},
    {"Down", TUI_KEY_FN | KEY_DOWN},
    {"Left", TUI_KEY_FN | KEY_LEFT},
    {"Right", TUI_KEY_FN | KEY_RIGHT},
    {"S-Left", TUI_KEY_FN | KEY_SLEFT},
    {"S-Right", TUI_KEY_FN | KEY_SRIGHT},
    {"PgUp", TUI_KEY_FN | KEY_PPAGE},
    {"PgDn", TUI_KEY_FN | KEY_NPAGE},
    {"Home", TUI_KEY_FN | KEY_HOME},
    {"End", TUI_KEY_FN | KEY_END},
    {"Ins", TUI_KEY_FN | KEY_IC},
    {"Del", TUI_KEY_FN | KEY_DC},
    {"C-Space", TUI_KEY_CTRL_SPACE},
};

tui_key key_parse(const char *text)
{
    if (text == NULL || *text == '\0')
        return -1;
    for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
        if (strcasecmp(text, key_names[i].name) == 0)
            return key_names[i].key;
    if ((text[0] == 'F' || text[0] == 'f') && text[1] >= '1' && text[1] <= '9') {
        int n = 0;
        if (sscanf(text + 1, "%d", &n) == 1 && n >= 1 && n <= 12 &&
            strlen(text) == (n >= 10 ? 3u : 2u))
            return TUI_KEY_FN | KEY_F(n);
    }
    if ((text[0] == 'C' || text[0] == 'c') && text[1] == '-' && text[2] != '\0' &&
        text[3] == '\0') {
        char c = text[2];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || c == '[' || c == '\\' || c == ']' || c == '_')
            return TUI_CTRL(c);
        return -1;
    }
    if ((text[0] == 'M' || text[0] == 'm' || text[0] == 'A' || text[0] == 'a') &&
        text[1] == '-' && text[2] != '\0') {
        tui_key k = key_parse(text + 2);
        return k < 0 || (k & (TUI_KEY_FN | TUI_KEY_ALT)) ? -1 : (TUI_KEY_ALT | k);
    }
    /* One character, UTF-8 decoded. */
    const unsigned char *s = (const unsigned char *)text;
    int cp, n;
    if (s[0] < 0x80)
        cp = s[0], n = 1;
    else if ((s[0] & 0xe0) == 0xc0)
        cp = s[0] & 0x1f, n = 2;
    else if ((s[0] & 0xf0) == 0xe0)
        cp = s[0] & 0x0f, n = 3;
    else if ((s[0] & 0xf8) == 0xf0)
        cp = s[0] & 0x07, n = 4;
    else
        return -1;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (s[n] != '\0' || cp < 0x20)
        return -1;
    return cp;
}

static void put_utf8(char *buf, size_t size, int cp)
{
    char u[5] = {0};
    if (cp < 0x80)
        u[0] = (char)cp;
    else if (cp < 0x800)
        u[0] = (char)(0xc0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3f));
    else if (cp < 0x10000)
        u[0] = (char)(0xe0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        u[2] = (char)(0x80 | (cp & 0x3f));
    else
        u[0] = (char)(0xf0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f));
    snprintf(buf, size, "%s", u);
}

const char *key_label(tui_key key, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++) {
        if (key_names[i].key == key) {
            snprintf(buf, size, "%s", key_names[i].name);
            return buf;
        }
    }
    if (key & TUI_KEY_ALT) {
        char inner[32];
        snprintf(buf, size, "M-%s", key_label(key & ~TUI_KEY_ALT, inner, sizeof inner));
    } else if (key & TUI_KEY_FN) {
        int k = key & ~TUI_KEY_FN;
        if (k >= KEY_F(1) && k <= KEY_F(12))
            snprintf(buf, size, "F%d", k - KEY_F0);
        else
            snprintf(buf, size, "key%d", k);
    } else if (key >= 1 && key < 0x20) {
        snprintf(buf, size, "C-%c", (char)(key + 'a' - 1));
    } else {
        put_utf8(buf, size, key);
    }
    return buf;
}

bool key_is_text(tui_key key)
{
    return key >= 0x20 && key != TUI_KEY_BACKSPACE && (key & (TUI_KEY_FN | TUI_KEY_ALT)) == 0;
}
