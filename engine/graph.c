/*
 * graph.c - the DAG of a workflow (dapt_graph_*): name lookup, a stable
 * topological order, Flowdapt's level grouping and the cycles, named as
 * concrete paths so a message can say "a -> b -> a".
 *
 * Edges are stored twice in compressed rows (one offset array, one flat
 * index array): deps (node -> what it depends on, in depends_on order) and
 * dependents (node -> who depends on it, in definition order).  Two flat
 * arrays instead of one allocation per node keep a 10,000-stage graph to a
 * handful of allocations and make every walk cache-friendly.
 *
 * Nothing here recurses: a workflow written by a program can be a chain of
 * any length, and the stack must not be what limits it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* An empty slot of the name table; node indices are always smaller. */
#define GRAPH_EMPTY SIZE_MAX

struct dapt_graph {
    size_t n;
    char **names;    /* names[i] points into `strings` */
    char *strings;   /* every name, NUL-separated, in one block */
    size_t *dep_off; /* deps of i: dep_idx[dep_off[i] .. dep_off[i + 1]) */
    size_t *dep_idx;
    size_t *rdep_off; /* dependents of i, same layout */
    size_t *rdep_idx;
    size_t *slots; /* open addressing, linear probing: node index or GRAPH_EMPTY */
    size_t mask;   /* slot count - 1 (a power of two, so probing wraps with &) */
};

static size_t graph_hash(const char *s)
{
    return hash_bytes(s, strlen(s));
}

/* The slot holding `name`, or the empty slot where it would go. */
static size_t graph_slot(const dapt_graph *g, const char *name)
{
    size_t i = graph_hash(name) & g->mask;
    while (g->slots[i] != GRAPH_EMPTY && strcmp(g->names[g->slots[i]], name) != 0)
        i = (i + 1) & g->mask;
    return i;
}

static long graph_lookup(const dapt_graph *g, const char *name)
{
    size_t v = g->slots[graph_slot(g, name)];
    return v == GRAPH_EMPTY ? -1 : (long)v;
}

static void graph_build_names(dapt_graph *g, const dapt_workflow *wf)
{
    size_t total = 0;
    for (size_t i = 0; i < g->n; i++) {
        const char *name = wf->stages[i].name ? wf->stages[i].name : "";
        total += strlen(name) + 1;
    }
    g->strings = xmalloc(total);
    g->names = xrealloc(NULL, g->n, sizeof *g->names);
    char *p = g->strings;
    for (size_t i = 0; i < g->n; i++) {
        const char *name = wf->stages[i].name ? wf->stages[i].name : "";
        size_t len = strlen(name) + 1;
        memcpy(p, name, len);
        g->names[i] = p;
        p += len;
    }

    /* At most half full, so probes stay short. */
    size_t cap = 8;
    while (cap < 2 * g->n)
        cap *= 2;
    g->mask = cap - 1;
    g->slots = xrealloc(NULL, cap, sizeof *g->slots);
    for (size_t i = 0; i < cap; i++)
        g->slots[i] = GRAPH_EMPTY;
    /* Inserting in definition order and overwriting makes the later of two
     * definitions the one a name resolves to, as Flowdapt's dict does. */
    for (size_t i = 0; i < g->n; i++)
        g->slots[graph_slot(g, g->names[i])] = i;
}

static void graph_build_edges(dapt_graph *g, const dapt_workflow *wf)
{
    size_t edges = 0;
    for (size_t i = 0; i < g->n; i++)
        edges += wf->stages[i].depends_on ? wf->stages[i].depends_count : 0;

    g->dep_off = xrealloc(NULL, g->n + 1, sizeof *g->dep_off);
    g->dep_idx = xrealloc(NULL, edges, sizeof *g->dep_idx);
    /* seen[d] == i: the edge i -> d is already in; one stamp per node makes
     * dropping repeated edges O(1) without clearing anything between nodes. */
    size_t *seen = xrealloc(NULL, g->n, sizeof *seen);
    for (size_t i = 0; i < g->n; i++)
        seen[i] = GRAPH_EMPTY;

    size_t e = 0;
    for (size_t i = 0; i < g->n; i++) {
        const dapt_stage *st = &wf->stages[i];
        g->dep_off[i] = e;
        for (size_t k = 0; st->depends_on && k < st->depends_count; k++) {
            if (st->depends_on[k] == NULL)
                continue;
            long d = graph_lookup(g, st->depends_on[k]);
            if (d < 0 || (size_t)d == i || seen[d] == i)
                continue;
            seen[d] = i;
            g->dep_idx[e++] = (size_t)d;
        }
    }
    g->dep_off[g->n] = e;
    free(seen);

    /* Dependents by counting sort: walking sources in definition order
     * fills each list in definition order, which the API promises. */
    g->rdep_off = xcalloc(g->n + 1, sizeof *g->rdep_off);
    g->rdep_idx = xrealloc(NULL, e, sizeof *g->rdep_idx);
    for (size_t k = 0; k < e; k++)
        g->rdep_off[g->dep_idx[k] + 1]++;
    for (size_t i = 0; i < g->n; i++)
        g->rdep_off[i + 1] += g->rdep_off[i];
    size_t *fill = xrealloc(NULL, g->n, sizeof *fill);
    memcpy(fill, g->rdep_off, g->n * sizeof *fill);
    for (size_t i = 0; i < g->n; i++)
        for (size_t k = g->dep_off[i]; k < g->dep_off[i + 1]; k++)
            g->rdep_idx[fill[g->dep_idx[k]]++] = i;
    free(fill);
}

dapt_graph *dapt_graph_new(const dapt_workflow *wf)
{
    dapt_graph *g = xcalloc(1, sizeof *g);
    /* With no stages the builders touch nothing of wf, so NULL is fine. */
    g->n = wf && wf->stages ? wf->stage_count : 0;
    graph_build_names(g, wf);
    graph_build_edges(g, wf);
    return g;
}

void dapt_graph_free(dapt_graph *g)
{
    if (g == NULL)
        return;
    free(g->names);
    free(g->strings);
    free(g->dep_off);
    free(g->dep_idx);
    free(g->rdep_off);
    free(g->rdep_idx);
    free(g->slots);
    free(g);
}

size_t dapt_graph_count(const dapt_graph *g)
{
    return g ? g->n : 0;
}

const char *dapt_graph_name(const dapt_graph *g, size_t node)
{
    return g && node < g->n ? g->names[node] : NULL;
}

const size_t *dapt_graph_deps(const dapt_graph *g, size_t node, size_t *count)
{
    if (g == NULL || node >= g->n) {
        if (count)
            *count = 0;
        return NULL;
    }
    if (count)
        *count = g->dep_off[node + 1] - g->dep_off[node];
    return g->dep_idx + g->dep_off[node];
}

const size_t *dapt_graph_dependents(const dapt_graph *g, size_t node, size_t *count)
{
    if (g == NULL || node >= g->n) {
        if (count)
            *count = 0;
        return NULL;
    }
    if (count)
        *count = g->rdep_off[node + 1] - g->rdep_off[node];
    return g->rdep_idx + g->rdep_off[node];
}

long dapt_graph_find(const dapt_graph *g, const char *name)
{
    if (g == NULL || name == NULL)
        return -1;
    return graph_lookup(g, name);
}

/* A binary min-heap of node indices: Kahn's ready set, so the earliest
 * defined ready node is taken first in O(log V) rather than by a scan. */
typedef struct graph_heap {
    size_t *v;
    size_t len;
} graph_heap;

static void graph_heap_push(graph_heap *h, size_t x)
{
    size_t i = h->len++;
    while (i > 0 && h->v[(i - 1) / 2] > x) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
}

static size_t graph_heap_pop(graph_heap *h)
{
    size_t top = h->v[0];
    size_t x = h->v[--h->len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->len)
            break;
        if (c + 1 < h->len && h->v[c + 1] < h->v[c])
            c++;
        if (x <= h->v[c])
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->len > 0)
        h->v[i] = x;
    return top;
}

size_t dapt_graph_topo(const dapt_graph *g, size_t *order)
{
    if (g == NULL || g->n == 0)
        return 0;
    size_t *waiting = xrealloc(NULL, g->n, sizeof *waiting);
    graph_heap h = {xrealloc(NULL, g->n, sizeof *h.v), 0};
    for (size_t i = 0; i < g->n; i++) {
        waiting[i] = g->dep_off[i + 1] - g->dep_off[i];
        if (waiting[i] == 0)
            graph_heap_push(&h, i);
    }
    size_t done = 0;
    while (h.len > 0) {
        size_t u = graph_heap_pop(&h);
        order[done++] = u;
        for (size_t k = g->rdep_off[u]; k < g->rdep_off[u + 1]; k++)
            if (--waiting[g->rdep_idx[k]] == 0)
                graph_heap_push(&h, g->rdep_idx[k]);
    }
    free(h.v);
    free(waiting);
    return done;
}

size_t dapt_graph_levels(const dapt_graph *g, size_t *level)
{
    if (g == NULL || g->n == 0)
        return 0;
    /* Flowdapt peels all ready nodes at once, level after level; that puts
     * a node exactly one level below its deepest dependency, so one pass in
     * any topological order gives the same grouping without the rescans. */
    size_t *order = xrealloc(NULL, g->n, sizeof *order);
    size_t done = dapt_graph_topo(g, order);
    for (size_t i = 0; i < g->n; i++)
        level[i] = SIZE_MAX;
    size_t levels = 0;
    for (size_t k = 0; k < done; k++) {
        size_t u = order[k];
        size_t l = 0;
        for (size_t e = g->dep_off[u]; e < g->dep_off[u + 1]; e++)
            if (level[g->dep_idx[e]] + 1 > l)
                l = level[g->dep_idx[e]] + 1;
        level[u] = l;
        if (l + 1 > levels)
            levels = l + 1;
    }
    free(order);
    return levels;
}

/*
 * Tarjan's strongly connected components with an explicit call stack (one
 * frame = a node and how far through its deps it is), so depth is bounded by
 * memory, not by the C stack.  comp[i] receives the component of node i;
 * returns the number of components.
 */
static size_t graph_scc(const dapt_graph *g, size_t *comp)
{
    size_t n = g->n;
    size_t *index = xrealloc(NULL, n, sizeof *index);
    size_t *low = xrealloc(NULL, n, sizeof *low);
    size_t *stack = xrealloc(NULL, n, sizeof *stack);
    size_t *frame_node = xrealloc(NULL, n, sizeof *frame_node);
    size_t *frame_edge = xrealloc(NULL, n, sizeof *frame_edge);
    bool *on_stack = xcalloc(n, sizeof *on_stack);
    size_t next_index = 0, sp = 0, ncomp = 0;

    for (size_t i = 0; i < n; i++)
        index[i] = GRAPH_EMPTY;

    for (size_t root = 0; root < n; root++) {
        if (index[root] != GRAPH_EMPTY)
            continue;
        size_t fp = 0;
        frame_node[fp] = root;
        frame_edge[fp++] = g->dep_off[root];
        index[root] = low[root] = next_index++;
        stack[sp++] = root;
        on_stack[root] = true;

        while (fp > 0) {
            size_t v = frame_node[fp - 1];
            if (frame_edge[fp - 1] < g->dep_off[v + 1]) {
                size_t w = g->dep_idx[frame_edge[fp - 1]++];
                if (index[w] == GRAPH_EMPTY) {
                    /* "Recurse" into w. */
                    index[w] = low[w] = next_index++;
                    stack[sp++] = w;
                    on_stack[w] = true;
                    frame_node[fp] = w;
                    frame_edge[fp++] = g->dep_off[w];
                } else if (on_stack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            /* v is finished: it roots a component when nothing below it
             * reached further up the stack. */
            if (low[v] == index[v]) {
                size_t w;
                do {
                    w = stack[--sp];
                    on_stack[w] = false;
                    comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
            fp--;
            if (fp > 0 && low[v] < low[frame_node[fp - 1]])
                low[frame_node[fp - 1]] = low[v];
        }
    }

    free(index);
    free(low);
    free(stack);
    free(frame_node);
    free(frame_edge);
    free(on_stack);
    return ncomp;
}

size_t dapt_graph_cycles(const dapt_graph *g, size_t ***cycles, size_t **lengths)
{
    *cycles = NULL;
    *lengths = NULL;
    if (g == NULL || g->n == 0)
        return 0;

    size_t n = g->n;
    size_t *comp = xrealloc(NULL, n, sizeof *comp);
    size_t ncomp = graph_scc(g, comp);
    size_t *size = xcalloc(ncomp, sizeof *size);
    for (size_t i = 0; i < n; i++)
        size[comp[i]]++;

    size_t *parent = xrealloc(NULL, n, sizeof *parent);
    size_t *queue = xrealloc(NULL, n, sizeof *queue);
    bool *visited = xcalloc(n, sizeof *visited);
    bool *reported = xcalloc(ncomp, sizeof *reported);
    size_t count = 0, cap = 0;

    /* Scanning nodes in definition order meets every component first at its
     * earliest defined node, which is where its cycle must start; the
     * cycles come out ordered by that node too. */
    for (size_t s = 0; s < n; s++) {
        size_t c = comp[s];
        if (size[c] < 2 || reported[c])
            continue;
        reported[c] = true;

        /* Breadth-first along deps inside the component finds the shortest
         * way back to s: the tightest concrete cycle to show a person.  Each
         * component is searched once and components are disjoint, so
         * `visited` never needs clearing. */
        size_t head = 0, tail = 0, last = GRAPH_EMPTY;
        queue[tail++] = s;
        visited[s] = true;
        while (head < tail && last == GRAPH_EMPTY) {
            size_t u = queue[head++];
            for (size_t e = g->dep_off[u]; e < g->dep_off[u + 1]; e++) {
                size_t w = g->dep_idx[e];
                if (w == s) {
                    last = u;
                    break;
                }
                if (comp[w] != c || visited[w])
                    continue;
                visited[w] = true;
                parent[w] = u;
                queue[tail++] = w;
            }
        }

        /* A component of two or more nodes always leads back to s. */
        size_t len = 1;
        for (size_t v = last; v != s; v = parent[v])
            len++;
        size_t *path = xrealloc(NULL, len, sizeof *path);
        size_t k = len;
        for (size_t v = last; v != s; v = parent[v])
            path[--k] = v;
        path[0] = s;

        if (count == cap) {
            cap = cap ? cap * 2 : 4;
            *cycles = xrealloc(*cycles, cap, sizeof **cycles);
            *lengths = xrealloc(*lengths, cap, sizeof **lengths);
        }
        (*cycles)[count] = path;
        (*lengths)[count] = len;
        count++;
    }

    free(comp);
    free(size);
    free(parent);
    free(queue);
    free(visited);
    free(reported);
    return count;
}

void dapt_graph_cycles_free(size_t **cycles, size_t *lengths, size_t count)
{
    for (size_t c = 0; cycles != NULL && c < count; c++)
        free(cycles[c]);
    free(cycles);
    free(lengths);
}
