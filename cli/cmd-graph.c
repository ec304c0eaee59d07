/*
 * cmd-graph.c - `dapt graph FILE [--format ascii|dot]`: draw the DAG of a
 * workflow.
 *
 * The ASCII drawing lists one stage per line in the graph's stable
 * topological order, with lanes on the left.  A lane is the output of one
 * stage: it starts at the stage's `*` and runs down, in a column that never
 * moves, until its last dependent has read it.  A stage reads a lane on its
 * own line: `+` where the lane goes on to other readers, `'` where this
 * stage is its last reader; `-` joins those taps to the stage's `*`, and
 * passes over unrelated lanes as `-|-`.  A stage whose last input is a lane
 * takes over that lane's column, so a chain is a plain column of `*`; a
 * `*` under a blank starts afresh, and a blank line separates parts of the
 * workflow that share nothing:
 *
 *     *      fetch     weather.fetch
 *     +-*    clean     weather.clean
 *     +-|-*  per_city  weather.per_city  [map over cities]
 *     * | |  summary   weather.summary
 *     *-'-'  report    weather.report  <- summary, clean, per_city
 *
 * Fixed columns keep every line independent (no diagonals that need a row
 * of their own, unlike git's graph), so each stage costs exactly one line.
 * Stages that read two or more lanes also list their inputs on the right,
 * so a reader need not trace lanes up a long drawing.  When the lanes would
 * not fit in 80 columns (wide fan-ins, thousands of stages) the drawing
 * degrades to a listing by level with every stage's inputs.  Stages on or
 * behind a dependency cycle cannot be ordered; they are listed after the
 * drawing with the cycles spelled out.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"

/* The drawing never exceeds this width. */
#define GRAPH_WIDTH 80
/* A name column wider than this gets truncated with "...". */
#define GRAPH_MAX_NAME 24
/* The target keeps at least this many columns beside the drawing... */
#define GRAPH_MIN_TARGET 16
/* ...and the lanes get what is left, up to this many side by side. */
#define GRAPH_MAX_LANES 32

typedef enum graph_format {
    GRAPH_ASCII,
    GRAPH_DOT,
} graph_format;

/* What both formats need, computed once. */
typedef struct graph_view {
    const dapt_workflow *wf;
    dapt_graph *g;
    size_t n;
    size_t *order;  /* stable topological order */
    size_t ordered; /* how many nodes `order` holds; the rest are blocked */
    size_t *pos;    /* pos[node]: index in order, or SIZE_MAX */
    size_t *level;
    size_t levels;
    size_t **cycles;
    size_t *cycle_len;
    size_t ncycles;
    bool *on_cycle; /* on one of the reported cycle paths */
} graph_view;

static void graph_view_init(graph_view *v, const dapt_workflow *wf)
{
    memset(v, 0, sizeof *v);
    v->wf = wf;
    v->g = dapt_graph_new(wf);
    v->n = dapt_graph_count(v->g);
    v->order = xcalloc(v->n, sizeof *v->order);
    v->ordered = dapt_graph_topo(v->g, v->order);
    v->pos = xcalloc(v->n, sizeof *v->pos);
    for (size_t i = 0; i < v->n; i++)
        v->pos[i] = SIZE_MAX;
    for (size_t k = 0; k < v->ordered; k++)
        v->pos[v->order[k]] = k;
    v->level = xcalloc(v->n, sizeof *v->level);
    v->levels = dapt_graph_levels(v->g, v->level);
    v->ncycles = dapt_graph_cycles(v->g, &v->cycles, &v->cycle_len);
    v->on_cycle = xcalloc(v->n, sizeof *v->on_cycle);
    for (size_t c = 0; c < v->ncycles; c++)
        for (size_t k = 0; k < v->cycle_len[c]; k++)
            v->on_cycle[v->cycles[c][k]] = true;
}

static void graph_view_free(graph_view *v)
{
    dapt_graph_cycles_free(v->cycles, v->cycle_len, v->ncycles);
    free(v->on_cycle);
    free(v->level);
    free(v->pos);
    free(v->order);
    dapt_graph_free(v->g);
}

/* ------------------------------------------------------------------ */
/* Text helpers: everything printed is ASCII and fits its width         */
/* ------------------------------------------------------------------ */

/* Columns `s` takes once made ASCII: a UTF-8 sequence shows as one '?',
 * so its continuation bytes take none. */
static size_t graph_text_width(const char *s)
{
    size_t w = 0;
    for (; *s != '\0'; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* Append `s` in at most `width` columns, as ASCII: a control character or
 * a UTF-8 sequence becomes one '?' (so one column per character, and the
 * widths stay exact), and a longer text ends in "...".  With `pad`, fill
 * up to `width` with spaces. */
static void graph_put_clipped(strbuf *sb, const char *s, size_t width, bool pad)
{
    size_t len = graph_text_width(s);
    size_t keep = len <= width ? len : (width > 3 ? width - 3 : width);
    for (size_t kept = 0; *s != '\0' && kept < keep; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c & 0xc0) == 0x80)
            continue;
        strbuf_putc(sb, c >= 0x20 && c < 0x7f ? (char)c : '?');
        kept++;
    }
    if (len > width)
        strbuf_add(sb, "...", width > 3 ? 3 : 0);
    for (size_t i = len > width ? width : len; pad && i < width; i++)
        strbuf_putc(sb, ' ');
}

static void graph_trim_right(strbuf *sb)
{
    while (sb->len > 0 && sb->buf[sb->len - 1] == ' ')
        sb->buf[--sb->len] = '\0';
}

/* "[map]" or "[map over KEY]" for a parameterized stage; "" otherwise. */
static char *graph_stage_marks(const graph_view *v, size_t node, const char *extra)
{
    const dapt_stage *st = &v->wf->stages[node];
    strbuf sb = {0};
    if (st->type == DAPT_STAGE_PARAMETERIZED) {
        if (st->map_on != NULL)
            strbuf_printf(&sb, "[map over %s]", st->map_on);
        else
            strbuf_puts(&sb, "[map]");
    }
    if (extra != NULL)
        strbuf_printf(&sb, "%s%s", sb.len ? " " : "", extra);
    return strbuf_detach(&sb);
}

static void graph_print_line(strbuf *line)
{
    graph_trim_right(line);
    fputs(line->buf ? line->buf : "", stdout);
    fputc('\n', stdout);
    line->len = 0;
    if (line->buf)
        line->buf[0] = '\0';
}

/* What the listing of unordered stages says about each. */
static const char *graph_blocked_mark(const graph_view *v, size_t node)
{
    if (v->pos[node] != SIZE_MAX)
        return NULL;
    return v->on_cycle[node] ? "[cycle]" : "[waits on a cycle]";
}

/* The room "<- NAME" needs for a stage's first input, with " +N" for the
 * others: with less, the list would say nothing. */
static size_t graph_inputs_min(const graph_view *v, size_t node)
{
    size_t count;
    const size_t *deps = dapt_graph_deps(v->g, node, &count);
    if (count == 0)
        return 0;
    char more[32];
    int n = count > 1 ? snprintf(more, sizeof more, " +%zu", count - 1) : 0;
    return 3 + graph_text_width(dapt_graph_name(v->g, deps[0])) + (size_t)n;
}

/*
 * A stage's inputs from deps[first] on, as "<- a, b, c" (the arrow only
 * before the first), in at most `width` columns.  Whole names only, since
 * half a name reads as another name: a list cut short ends in " +N" (N
 * more inputs), or with `wrap` in "," to go on on the next line.  Returns
 * the index of the first input not written.
 */
static size_t graph_put_inputs(strbuf *sb, const graph_view *v, size_t node, size_t first,
                               size_t width, bool wrap)
{
    size_t count;
    const size_t *deps = dapt_graph_deps(v->g, node, &count);
    size_t used = 0;
    if (first == 0 && count > 0) {
        strbuf_puts(sb, "<- ");
        used = 3;
    }
    for (size_t k = first; k < count; k++) {
        const char *name = dapt_graph_name(v->g, deps[k]);
        size_t piece = (k > first ? 2 : 0) + graph_text_width(name);
        /* Room for what ends a cut list, unless this is the last name. */
        char more[32];
        size_t endw = 0;
        if (k + 1 < count)
            endw = wrap ? 1 : (size_t)snprintf(more, sizeof more, " +%zu", count - k - 1);
        if (used + piece + endw > width) {
            if (k == first) {
                /* Not even one name fits: better cut than nothing. */
                graph_put_clipped(sb, name, width > used ? width - used : 0, false);
                return k + 1;
            }
            if (wrap)
                strbuf_putc(sb, ',');
            else
                strbuf_printf(sb, " +%zu", count - k);
            return k;
        }
        if (k > first)
            strbuf_puts(sb, ", ");
        graph_put_clipped(sb, name, SIZE_MAX, false);
        used += piece;
    }
    return count;
}

/*
 * One stage's text after the drawing, in `width` columns: name (padded to
 * `namew`), target, marks, inputs.  Beside the drawing the inputs (listed
 * for stages with two or more) only repeat what the lanes show, so they
 * give way first, then the target is cut short (with "...").  In a
 * `listing`, nothing else shows the inputs: the target gives way to them
 * and they wrap; the return value is the first input still to write (the
 * caller's continuation lines), else the input count.
 */
static size_t graph_put_stage(strbuf *line, const graph_view *v, size_t node, size_t namew,
                              size_t width, bool listing)
{
    const dapt_stage *st = &v->wf->stages[node];
    const char *target = st->target && st->target[0] ? st->target : "(no target)";
    size_t ndeps;
    dapt_graph_deps(v->g, node, &ndeps);
    if (width < namew + 2) {
        graph_put_clipped(line, dapt_graph_name(v->g, node), width, false);
        return ndeps;
    }
    graph_put_clipped(line, dapt_graph_name(v->g, node), namew, true);
    strbuf_puts(line, "  ");
    width -= namew + 2;

    bool show_inputs = ndeps >= (listing ? 1 : 2);
    char *marks = graph_stage_marks(v, node, graph_blocked_mark(v, node));
    size_t marksw = marks[0] ? 2 + graph_text_width(marks) : 0;
    size_t inputsw = show_inputs && listing ? 2 + graph_inputs_min(v, node) : 0;
    size_t targetw = graph_text_width(target);
    if (targetw + marksw + inputsw > width)
        targetw = width > marksw + inputsw + GRAPH_MIN_TARGET ? width - marksw - inputsw
                                                              : GRAPH_MIN_TARGET;

    strbuf tail = {0};
    size_t next = ndeps;
    graph_put_clipped(&tail, target, targetw, false);
    if (marks[0] != '\0')
        strbuf_printf(&tail, "  %s", marks);
    size_t room = width > tail.len + 2 ? width - tail.len - 2 : 0;
    if (show_inputs && room >= graph_inputs_min(v, node)) {
        strbuf_puts(&tail, "  ");
        next = graph_put_inputs(&tail, v, node, 0, room, listing);
    } else if (show_inputs && listing) {
        next = 0; /* all on the lines below */
    }
    graph_put_clipped(line, tail.buf, width, false);
    strbuf_free(&tail);
    free(marks);
    return next;
}

/* A stage in a listing: its line, then as many lines as its inputs need,
 * indented past the name. */
static void graph_print_listed(strbuf *line, const graph_view *v, size_t node, size_t namew)
{
    size_t count;
    dapt_graph_deps(v->g, node, &count);
    strbuf_puts(line, "  ");
    size_t next = graph_put_stage(line, v, node, namew, GRAPH_WIDTH - 2, true);
    graph_print_line(line);
    size_t indent = 2 + namew + 2 + 3;
    while (next < count && indent + 8 < GRAPH_WIDTH) {
        for (size_t i = 0; i < indent; i++)
            strbuf_putc(line, ' ');
        next = graph_put_inputs(line, v, node, next, GRAPH_WIDTH - indent, true);
        graph_print_line(line);
    }
}

/* The name column: as wide as the longest name, within reason. */
static size_t graph_name_width(const graph_view *v, size_t avail)
{
    size_t w = 1;
    for (size_t i = 0; i < v->n; i++) {
        size_t len = graph_text_width(dapt_graph_name(v->g, i));
        if (len > w)
            w = len;
    }
    if (w > GRAPH_MAX_NAME)
        w = GRAPH_MAX_NAME;
    /* Leave the target at least a third of what is left. */
    if (w > avail * 2 / 3)
        w = avail * 2 / 3;
    return w ? w : 1;
}

/* ------------------------------------------------------------------ */
/* ASCII: the lane layout                                               */
/* ------------------------------------------------------------------ */

#define GRAPH_SPACER SIZE_MAX

typedef struct graph_row {
    size_t node; /* GRAPH_SPACER: a line of lanes only, between components */
    char cells[2 * GRAPH_MAX_LANES];
} graph_row;

/*
 * Lay out the lanes for every ordered node.  Fills rows (room for
 * 2 * ordered) and returns the number of lane columns, or 0 when more than
 * max_lanes (at most GRAPH_MAX_LANES) would be needed.
 */
static size_t graph_layout(const graph_view *v, size_t max_lanes, graph_row *rows, size_t *nrows)
{
    size_t owner[GRAPH_MAX_LANES]; /* node whose output runs down the column */
    size_t freed[GRAPH_MAX_LANES]; /* row where the column was last freed */
    bool tap[GRAPH_MAX_LANES], ends[GRAPH_MAX_LANES];
    size_t ncols = 0, live = 0, r = 0;
    size_t *pending = xcalloc(v->n, sizeof *pending); /* readers not drawn yet */
    size_t *col = xcalloc(v->n, sizeof *col);

    /* Only readers that will be drawn keep a lane open: one blocked by a
     * cycle would hold it open to the bottom for nothing. */
    for (size_t k = 0; k < v->ordered; k++) {
        size_t count;
        const size_t *deps = dapt_graph_deps(v->g, v->order[k], &count);
        for (size_t d = 0; d < count; d++)
            pending[deps[d]]++;
    }

    for (size_t k = 0; k < v->ordered; k++) {
        size_t y = v->order[k], count, cy = SIZE_MAX;
        const size_t *deps = dapt_graph_deps(v->g, y, &count);
        memset(tap, 0, sizeof tap);
        memset(ends, 0, sizeof ends);
        for (size_t d = 0; d < count; d++) {
            size_t c = col[deps[d]];
            tap[c] = true;
            if (--pending[deps[d]] == 0) {
                ends[c] = true;
                if (c < cy)
                    cy = c;
            }
        }

        if (cy == SIZE_MAX) {
            /* A column freed on the line just above would put this `*`
             * right under an unrelated one, reading as a dependency: take
             * another.  With no lane open nothing drawn so far connects
             * to anything below (a new component starts), and a blank
             * line says so; it also makes room when all columns are used. */
            bool recent = false;
            for (size_t c = 0; c < ncols && live > 0; c++) {
                bool just_freed = r > 0 && freed[c] == r - 1;
                if (owner[c] == SIZE_MAX && !just_freed) {
                    cy = c;
                    break;
                }
                recent = recent || (owner[c] == SIZE_MAX && just_freed);
            }
            if (r > 0 && (live == 0 || (cy == SIZE_MAX && recent && ncols == max_lanes))) {
                rows[r].node = GRAPH_SPACER;
                for (size_t c = 0; c < GRAPH_MAX_LANES; c++) {
                    rows[r].cells[2 * c] = c < ncols && owner[c] != SIZE_MAX ? '|' : ' ';
                    rows[r].cells[2 * c + 1] = ' ';
                }
                r++;
                for (size_t c = 0; c < ncols && cy == SIZE_MAX; c++)
                    if (owner[c] == SIZE_MAX)
                        cy = c;
            }
            if (cy == SIZE_MAX) {
                if (ncols == max_lanes) {
                    ncols = 0;
                    break;
                }
                cy = ncols++;
                owner[cy] = SIZE_MAX;
                freed[cy] = SIZE_MAX;
            }
        }

        size_t lo = cy, hi = cy;
        for (size_t c = 0; c < ncols; c++)
            if (tap[c]) {
                lo = c < lo ? c : lo;
                hi = c > hi ? c : hi;
            }
        graph_row *row = &rows[r];
        row->node = y;
        memset(row->cells, ' ', sizeof row->cells);
        for (size_t c = 0; c < ncols; c++) {
            char ch = ' ';
            if (c == cy)
                ch = '*';
            else if (tap[c])
                ch = ends[c] ? '\'' : '+';
            else if (owner[c] != SIZE_MAX)
                ch = '|';
            else if (c > lo && c < hi)
                ch = '-';
            row->cells[2 * c] = ch;
            if (c >= lo && c < hi)
                row->cells[2 * c + 1] = '-';
        }

        for (size_t c = 0; c < ncols; c++)
            if (ends[c]) {
                owner[c] = SIZE_MAX;
                freed[c] = r;
                live--;
            }
        col[y] = cy;
        if (pending[y] > 0) {
            owner[cy] = y;
            live++;
        } else {
            owner[cy] = SIZE_MAX;
            freed[cy] = r;
        }
        r++;
    }

    free(pending);
    free(col);
    *nrows = r;
    return ncols;
}

/* The listing by level: what the drawing degrades to. */
static void graph_print_levels(const graph_view *v, size_t namew)
{
    strbuf line = {0};
    /* Counting sort by level keeps the topological order inside a level. */
    size_t *start = xcalloc(v->levels + 1, sizeof *start);
    size_t *by_level = xcalloc(v->ordered, sizeof *by_level);
    for (size_t k = 0; k < v->ordered; k++)
        start[v->level[v->order[k]] + 1]++;
    for (size_t l = 0; l < v->levels; l++)
        start[l + 1] += start[l];
    for (size_t k = 0; k < v->ordered; k++)
        by_level[start[v->level[v->order[k]]]++] = v->order[k];

    size_t k = 0;
    for (size_t l = 0; l < v->levels; l++) {
        strbuf_printf(&line, "level %zu: %zu %s", l, start[l] - k,
                      start[l] - k == 1 ? "stage" : "stages");
        graph_print_line(&line);
        for (; k < v->ordered && v->level[by_level[k]] == l; k++) {
            graph_print_listed(&line, v, by_level[k], namew);
        }
    }
    free(start);
    free(by_level);
    strbuf_free(&line);
}

/* Stages that could not be ordered, and the cycles that hold them. */
static void graph_print_blocked(const graph_view *v, size_t namew)
{
    strbuf line = {0};
    size_t blocked = v->n - v->ordered;
    strbuf_printf(&line, "%zu %s not drawn: on a dependency cycle or waiting on one", blocked,
                  blocked == 1 ? "stage" : "stages");
    graph_print_line(&line);
    for (size_t c = 0; c < v->ncycles; c++) {
        strbuf text = {0};
        strbuf_puts(&text, "cycle: ");
        for (size_t k = 0; k < v->cycle_len[c]; k++)
            strbuf_printf(&text, "%s -> ", dapt_graph_name(v->g, v->cycles[c][k]));
        strbuf_printf(&text, "%s  (each depends on the next)",
                      dapt_graph_name(v->g, v->cycles[c][0]));
        graph_put_clipped(&line, text.buf, GRAPH_WIDTH, false);
        strbuf_free(&text);
        graph_print_line(&line);
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->pos[i] != SIZE_MAX)
            continue;
        graph_print_listed(&line, v, i, namew);
    }
    strbuf_free(&line);
}

static void graph_print_ascii(const graph_view *v)
{
    strbuf line = {0};
    strbuf head = {0};
    strbuf_printf(&head, "workflow %s: %zu %s, %zu %s", v->wf->name ? v->wf->name : "", v->n,
                  v->n == 1 ? "stage" : "stages", v->levels, v->levels == 1 ? "level" : "levels");
    graph_put_clipped(&line, head.buf, GRAPH_WIDTH, false);
    strbuf_free(&head);
    graph_print_line(&line);

    graph_row *rows = xcalloc(2 * v->ordered + 1, sizeof *rows);
    size_t nrows = 0;
    /* The lanes get what the names and a readable target leave. */
    size_t room = GRAPH_WIDTH - 2 - graph_name_width(v, GRAPH_WIDTH) - 2 - GRAPH_MIN_TARGET;
    size_t max_lanes = (room + 1) / 2 < GRAPH_MAX_LANES ? (room + 1) / 2 : GRAPH_MAX_LANES;
    size_t ncols = v->ordered ? graph_layout(v, max_lanes, rows, &nrows) : 0;
    size_t drawn = ncols ? 2 * ncols - 1 : 0;
    size_t namew = graph_name_width(v, GRAPH_WIDTH - (drawn + 2));

    if (v->ordered > 0 && ncols == 0) {
        graph_print_line(&line);
        strbuf_printf(&line,
                      "(more than %zu lanes side by side do not fit in %d columns: "
                      "listed by level)",
                      max_lanes, GRAPH_WIDTH);
        graph_print_line(&line);
        graph_print_levels(v, graph_name_width(v, GRAPH_WIDTH - 2));
    } else if (v->ordered > 0) {
        graph_print_line(&line);
        for (size_t r = 0; r < nrows; r++) {
            strbuf_add(&line, rows[r].cells, drawn);
            if (rows[r].node != GRAPH_SPACER) {
                strbuf_puts(&line, "  ");
                graph_put_stage(&line, v, rows[r].node, namew, GRAPH_WIDTH - (drawn + 2), false);
            }
            graph_print_line(&line);
        }
    }
    free(rows);

    if (v->ordered < v->n) {
        graph_print_line(&line);
        graph_print_blocked(v, graph_name_width(v, GRAPH_WIDTH - 2));
    }
    strbuf_free(&line);
}

/* ------------------------------------------------------------------ */
/* DOT                                                                  */
/* ------------------------------------------------------------------ */

/*
 * DOT quoted strings: `"` and `\` are escaped, control characters become
 * spaces.  Graphviz's lexer reads `\\"` as a backslash and an escaped
 * quote, so a string must not end in an escaped backslash: a trailing one
 * gets a space after it to keep the closing quote a quote.
 */
static void graph_dot_escape(strbuf *sb, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            strbuf_putc(sb, '\\');
        strbuf_putc(sb, c < 0x20 || c == 0x7f ? ' ' : (char)c);
    }
}

static void graph_dot_close(strbuf *sb, const char *last)
{
    size_t len = strlen(last);
    if (len > 0 && last[len - 1] == '\\')
        strbuf_putc(sb, ' ');
    strbuf_putc(sb, '"');
}

static void graph_dot_quote(strbuf *sb, const char *s)
{
    strbuf_putc(sb, '"');
    graph_dot_escape(sb, s);
    graph_dot_close(sb, s);
}

/* A node's id: its name, or for a name defined twice (the later one wins
 * every reference), "name@N" for the shadowed N-th stage. */
static void graph_dot_id(strbuf *sb, const graph_view *v, size_t node)
{
    const char *name = dapt_graph_name(v->g, node);
    if (dapt_graph_find(v->g, name) == (long)node) {
        graph_dot_quote(sb, name);
    } else {
        char *id = xasprintf("%s@%zu", name, node + 1);
        graph_dot_quote(sb, id);
        free(id);
    }
}

static bool graph_dot_cycle_edge(const graph_view *v, size_t from, size_t to)
{
    /* The cycle paths run along deps: to depends on from when from follows
     * to in a path. */
    for (size_t c = 0; c < v->ncycles; c++)
        for (size_t k = 0; k < v->cycle_len[c]; k++)
            if (v->cycles[c][k] == to && v->cycles[c][(k + 1) % v->cycle_len[c]] == from)
                return true;
    return false;
}

static void graph_print_dot(const graph_view *v)
{
    strbuf sb = {0};
    strbuf_puts(&sb, "digraph ");
    graph_dot_quote(&sb, v->wf->name ? v->wf->name : "workflow");
    strbuf_puts(&sb, " {\n"
                     "    rankdir=TB;\n"
                     "    node [shape=box, fontname=\"Helvetica\"];\n"
                     "    edge [arrowsize=0.8];\n");
    for (size_t i = 0; i < v->n; i++) {
        const dapt_stage *st = &v->wf->stages[i];
        char *marks = graph_stage_marks(v, i, NULL);
        const char *target = st->target && st->target[0] ? st->target : "(no target)";
        strbuf_puts(&sb, "    ");
        graph_dot_id(&sb, v, i);
        /* Two lines: the name (and [map]), then the target. */
        strbuf_puts(&sb, " [label=\"");
        graph_dot_escape(&sb, dapt_graph_name(v->g, i));
        if (marks[0] != '\0') {
            strbuf_putc(&sb, ' ');
            graph_dot_escape(&sb, marks);
        }
        strbuf_puts(&sb, "\\n");
        graph_dot_escape(&sb, target);
        graph_dot_close(&sb, target);
        if (st->type == DAPT_STAGE_PARAMETERIZED)
            strbuf_puts(&sb, ", shape=box3d");
        if (v->on_cycle[i])
            strbuf_puts(&sb, ", color=red, fontcolor=red");
        else if (v->pos[i] == SIZE_MAX)
            strbuf_puts(&sb, ", style=dashed");
        strbuf_puts(&sb, "];\n");
        free(marks);
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t count;
        const size_t *deps = dapt_graph_deps(v->g, i, &count);
        for (size_t k = 0; k < count; k++) {
            strbuf_puts(&sb, "    ");
            graph_dot_id(&sb, v, deps[k]);
            strbuf_puts(&sb, " -> ");
            graph_dot_id(&sb, v, i);
            if (graph_dot_cycle_edge(v, deps[k], i))
                strbuf_puts(&sb, " [color=red]");
            strbuf_puts(&sb, ";\n");
        }
    }
    strbuf_puts(&sb, "}\n");
    fputs(sb.buf, stdout);
    strbuf_free(&sb);
}

/* ------------------------------------------------------------------ */
/* The command                                                          */
/* ------------------------------------------------------------------ */

static int graph_parse_format(const cli_command *self, const char *value, graph_format *out)
{
    if (strcmp(value, "ascii") == 0)
        *out = GRAPH_ASCII;
    else if (strcmp(value, "dot") == 0)
        *out = GRAPH_DOT;
    else
        return cli_usage(self, "unknown format '%s' (ascii or dot)", value);
    return 0;
}

int cmd_graph(int argc, char **argv)
{
    const cli_command *self = cli_find("graph");
    graph_format format = GRAPH_ASCII;
    const char *file = NULL;
    bool options_done = false;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (file != NULL)
                return cli_usage(self, "one FILE at a time");
            file = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strncmp(arg, "--format=", 9) == 0) {
            value = arg + 9;
        } else if (strcmp(arg, "--format") == 0 || strcmp(arg, "-f") == 0) {
            if (i + 1 >= argc)
                return cli_usage(self, "%s needs a value (ascii or dot)", arg);
            value = argv[++i];
        } else if (strncmp(arg, "-f", 2) == 0) {
            value = arg + 2;
        } else {
            return cli_usage(self, "unknown option '%s'", arg);
        }
        if (graph_parse_format(self, value, &format) != 0)
            return CLI_USAGE;
    }
    if (file == NULL)
        return cli_usage(self, "no file to draw");

    dapt_diags diags;
    dapt_diags_init(&diags);
    dapt_bundle *bundle = NULL;
    int failed = dapt_load_file(&bundle, file, &diags) < 0;
    const dapt_workflow *wf = bundle ? dapt_bundle_workflow(bundle) : NULL;

    /* A workflow with errors (a cycle, an unknown dependency) is still
     * drawn as far as it can be: seeing it is how one finds the mistake. */
    if (wf != NULL) {
        graph_view v;
        graph_view_init(&v, wf);
        if (format == GRAPH_DOT)
            graph_print_dot(&v);
        else
            graph_print_ascii(&v);
        graph_view_free(&v);
        fflush(stdout);
    }
    cli_print_diags(stderr, &diags);
    /* When the load failed, its errors already say why there is nothing. */
    if (wf == NULL && !failed)
        fprintf(stderr, "dapt: %s: no workflow in this file (kind: workflow)\n", file);
    dapt_diags_free(&diags);
    dapt_bundle_free(bundle);
    return failed || wf == NULL ? CLI_FAILED : CLI_OK;
}
