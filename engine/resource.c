/*
 * resource.c - YAML files to typed resources: the document envelope
 * (kind/metadata/spec, or the seed document's flat form), dispatch to the
 * per-kind loaders, and the shared field readers they use.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"

static void load_vadd(load_ctx *lc, dapt_pos pos, dapt_severity sev, const char *fmt, va_list ap)
{
    char *msg = xvasprintf(fmt, ap);
    dapt_diags_add(lc->diags, lc->file, pos, sev, "%s", msg);
    free(msg);
}

void load_error(load_ctx *lc, dapt_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    load_vadd(lc, pos, DAPT_SEV_ERROR, fmt, ap);
    va_end(ap);
}

void load_warning(load_ctx *lc, dapt_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    load_vadd(lc, pos, DAPT_SEV_WARNING, fmt, ap);
    va_end(ap);
}

void load_note(load_ctx *lc, dapt_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    load_vadd(lc, pos, DAPT_SEV_NOTE, fmt, ap);
    va_end(ap);
}

void load_unknown_keys(load_ctx *lc, const ynode *map, const char *what,
                       const char *const *known, size_t count)
{
    if (map == NULL || map->type != YNODE_MAP)
        return;
    for (size_t i = 0; i < map->count; i++) {
        const ynode *k = map->keys[i];
        if (k->type != YNODE_SCALAR)
            continue;
        size_t j;
        for (j = 0; j < count; j++) {
            if (strcmp(k->str, known[j]) == 0)
                break;
        }
        if (j < count)
            continue;
        const char *near = suggest_closest(k->str, known, count);
        if (near != NULL)
            load_warning(lc, k->pos, "unknown key `%s` in %s (did you mean `%s`?)", k->str, what,
                         near);
        else
            load_warning(lc, k->pos, "unknown key `%s` in %s; it is ignored", k->str, what);
    }
}

int load_string(load_ctx *lc, const ynode *n, const char *what, char **out)
{
    if (n == NULL)
        return 0;
    if (n->type != YNODE_SCALAR || ynode_is_null(n)) {
        load_error(lc, n->pos, "`%s` must be a string, not %s", what, ynode_describe(n));
        return -1;
    }
    if (n->plain && strcmp(ynode_describe(n), "a string") != 0) {
        /* `name: 2024` is a number to YAML; say how to make it text. */
        load_error(lc, n->pos, "`%s` must be a string, not %s; quote it: \"%s\"", what,
                   ynode_describe(n), n->str);
        return -1;
    }
    if (load_check_chars(lc, n, what) < 0)
        return -1;
    free(*out);
    *out = xstrndup(n->str, n->len);
    return 0;
}

int load_check_chars(load_ctx *lc, const ynode *n, const char *what)
{
    for (size_t i = 0; i < n->len; i++) {
        unsigned char c = (unsigned char)n->str[i];
        if (c == '\0') {
            load_error(lc, n->pos, "`%s` holds a NUL character (\\u0000): it would be cut there",
                       what);
            return -1;
        }
        if (c < 0x20 || c == 0x7f) {
            /* ESC, CR or LF in a name would let it forge lines where it is printed */
            load_error(lc, n->pos, "`%s` holds a control character (\\x%02x): names are printed "
                       "on terminals and in logs, write it without", what, c);
            return -1;
        }
    }
    return 0;
}

bool load_valid_name(const char *name)
{
    if (*name == '\0')
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    }
    return true;
}

static int load_annotations(load_ctx *lc, const ynode *n, json_t **annotations)
{
    *annotations = json_object();
    if (n == NULL || ynode_is_null(n))
        return 0;
    if (n->type != YNODE_MAP) {
        load_error(lc, n->pos, "`annotations` must be a mapping of names to strings, not %s",
                   ynode_describe(n));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n->count; i++) {
        const ynode *k = n->keys[i], *v = n->items[i];
        if (k->type != YNODE_SCALAR)
            continue;
        if (v->type != YNODE_SCALAR || ynode_is_null(v)) {
            load_error(lc, v->pos, "annotation `%s` must be a string, not %s", k->str,
                       ynode_describe(v));
            rc = -1;
            continue;
        }
        /* Numbers and booleans are kept as written: annotations are text. */
        json_object_set_new(*annotations, k->str, json_stringn(v->str, v->len));
    }
    return rc;
}

static const char *const metadata_keys[] = {
    "name", "annotations", "description", "uid", "created_at", "updated_at",
};

int load_metadata(load_ctx *lc, const ynode *doc, char **name, json_t **annotations)
{
    const ynode *md = ynode_get(doc, "metadata");
    *name = NULL;
    if (md == NULL || ynode_is_null(md)) {
        load_error(lc, md ? md->pos : doc->pos,
                   "missing `metadata.name`: every resource needs a name, e.g. "
                   "`metadata: {name: my_workflow}`");
        *annotations = json_object();
        *name = xstrdup("");
        return -1;
    }
    if (md->type != YNODE_MAP) {
        if (md->type == YNODE_SCALAR)
            load_error(lc, md->pos,
                       "`metadata` must be a mapping with a `name`, not %s; write "
                       "`metadata: {name: %s}`",
                       ynode_describe(md), load_valid_name(md->str) ? md->str : "my_workflow");
        else
            load_error(lc, md->pos, "`metadata` must be a mapping with a `name`, not %s",
                       ynode_describe(md));
        *annotations = json_object();
        *name = xstrdup("");
        return -1;
    }
    load_unknown_keys(lc, md, "`metadata`", metadata_keys,
                      sizeof metadata_keys / sizeof metadata_keys[0]);
    int rc = load_annotations(lc, ynode_get(md, "annotations"), annotations);
    const ynode *n = ynode_get(md, "name");
    if (n == NULL) {
        load_error(lc, md->pos, "missing `metadata.name`: every resource needs a name");
        rc = -1;
    } else if (load_string(lc, n, "metadata.name", name) < 0) {
        rc = -1;
    } else if (**name == '\0') {
        load_error(lc, n->pos, "`metadata.name` cannot be empty");
        rc = -1;
    } else if (!load_valid_name(*name)) {
        load_error(lc, n->pos,
                   "`metadata.name` `%s` may only contain letters, digits, `_` and `-`", *name);
        rc = -1;
    }
    if (*name == NULL)
        *name = xstrdup("");
    return rc;
}

int load_choice(load_ctx *lc, const ynode *v, const char *what, const char *const *names,
                size_t count)
{
    if (v->type != YNODE_SCALAR || ynode_is_null(v)) {
        load_error(lc, v->pos, "`%s` must be a string, not %s", what, ynode_describe(v));
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (strlen(names[i]) == v->len && memcmp(names[i], v->str, v->len) == 0)
            return (int)i;
    }
    const char *near = suggest_closest(v->str, names, count);
    if (near != NULL) {
        load_error(lc, v->pos, "unknown %s `%s` (did you mean `%s`?)", what, v->str, near);
        return -1;
    }
    strbuf sb = {0};
    for (size_t i = 0; i < count; i++)
        strbuf_printf(&sb, "%s`%s`", i == 0 ? "" : i + 1 == count ? " or " : ", ", names[i]);
    load_error(lc, v->pos, "unknown %s `%s`; expected %s", what, v->str, sb.buf);
    strbuf_free(&sb);
    return -1;
}

/* The kinds, indexed by dapt_kind: adding a kind is adding a row. */
static const char *const kind_names[] = {
    [DAPT_KIND_WORKFLOW] = "workflow",
    [DAPT_KIND_CONFIG] = "config",
    [DAPT_KIND_TRIGGER_RULE] = "trigger_rule",
};
#define KIND_COUNT (sizeof kind_names / sizeof kind_names[0])

const char *dapt_kind_name(dapt_kind kind)
{
    return (size_t)kind < KIND_COUNT ? kind_names[kind] : "unknown";
}

static const char *const envelope_keys[] = {"kind", "metadata", "spec", "version"};

const char *const *resource_known(const char *what, size_t *count)
{
    if (strcmp(what, "resource") == 0) {
        *count = sizeof envelope_keys / sizeof envelope_keys[0];
        return envelope_keys;
    }
    if (strcmp(what, "metadata") == 0) {
        *count = sizeof metadata_keys / sizeof metadata_keys[0];
        return metadata_keys;
    }
    if (strcmp(what, "kind") == 0) {
        *count = KIND_COUNT;
        return kind_names;
    }
    *count = 0;
    return NULL;
}

/* Decide a document's kind; -1 when it cannot be told (reported). */
static int resource_kind(load_ctx *lc, const ynode *doc, dapt_kind *kind, bool *flat)
{
    const ynode *k = ynode_get(doc, "kind");
    *flat = false;
    if (k == NULL) {
        if (ynode_get(doc, "stages") != NULL) {
            *kind = DAPT_KIND_WORKFLOW; /* the seed document's flat form */
            *flat = true;
            return 0;
        }
        if (ynode_get(ynode_get(doc, "spec"), "stages") != NULL) {
            load_warning(lc, doc->pos, "missing `kind`; taken as `kind: workflow` from its stages");
            *kind = DAPT_KIND_WORKFLOW;
            return 0;
        }
        load_error(lc, doc->pos,
                   "missing `kind`: start the document with `kind: workflow`, `kind: config` "
                   "or `kind: trigger_rule`");
        return -1;
    }
    int i = load_choice(lc, k, "kind", kind_names, KIND_COUNT);
    if (i < 0)
        return -1;
    *kind = (dapt_kind)i;
    *flat = *kind == DAPT_KIND_WORKFLOW && ynode_get(doc, "spec") == NULL &&
            ynode_get(doc, "stages") != NULL;
    if (*flat && ynode_get(doc, "metadata") != NULL) {
        /* half of each form: the likeliest fix is a missing `spec:` */
        load_error(lc, ynode_key(doc, "stages")->pos,
                   "`stages` belongs under `spec` in a resource with `metadata`: write "
                   "`spec:` and indent `stages` under it");
        return -1;
    }
    return 0;
}

static const char *resource_name(const dapt_resource *r)
{
    switch (r->kind) {
    case DAPT_KIND_WORKFLOW:
        return r->u.workflow->name;
    case DAPT_KIND_CONFIG:
        return r->u.config->name;
    case DAPT_KIND_TRIGGER_RULE:
        return r->u.trigger->name;
    }
    return "";
}

/* Names are unique per kind (Flowdapt refuses a second one on create). */
static void resource_check_names(dapt_bundle *b, const ydocs *docs, const char *file,
                                 dapt_diags *diags, const size_t *doc_of)
{
    for (size_t i = 1; i < b->count; i++) {
        const char *name = resource_name(&b->items[i]);
        if (*name == '\0')
            continue;
        for (size_t j = 0; j < i; j++) {
            if (b->items[j].kind != b->items[i].kind || strcmp(resource_name(&b->items[j]), name))
                continue;
            const ynode *ni = ynode_get(ynode_get(docs->docs[doc_of[i]].root, "metadata"), "name");
            const ynode *nj = ynode_get(ynode_get(docs->docs[doc_of[j]].root, "metadata"), "name");
            if (ni == NULL)
                ni = ynode_get(docs->docs[doc_of[i]].root, "name");
            if (nj == NULL)
                nj = ynode_get(docs->docs[doc_of[j]].root, "name");
            dapt_pos pi = ni ? ni->pos : b->items[i].pos, pj = nj ? nj->pos : b->items[j].pos;
            const char *kind = dapt_kind_name(b->items[i].kind);
            dapt_diags_add(diags, file, pi, DAPT_SEV_ERROR,
                           "duplicate %s name `%s`; it is first defined at line %d", kind, name,
                           pj.line);
            dapt_diags_add(diags, file, pj, DAPT_SEV_NOTE, "%s `%s` is first defined here", kind,
                           name);
            b->items[i].valid = false;
            break;
        }
    }
}

static void bundle_push(dapt_bundle *b, dapt_resource r)
{
    b->items = xrealloc(b->items, b->count + 1, sizeof *b->items);
    b->items[b->count++] = r;
}

static void resource_load_doc(dapt_bundle *b, const char *file, const ydoc *doc,
                              dapt_diags *diags)
{
    load_ctx lc = {.file = file, .diags = diags};
    size_t errors_before = dapt_diags_count(diags, DAPT_SEV_ERROR);
    const ynode *root = doc->root;
    dapt_kind kind;
    bool flat;

    if (root->type != YNODE_MAP) {
        load_error(&lc, root->pos,
                   "a resource must be a mapping with `kind`, `metadata` and `spec`, not %s",
                   ynode_describe(root));
        return;
    }
    if (resource_kind(&lc, root, &kind, &flat) < 0)
        return;
    if (!flat)
        load_unknown_keys(&lc, root, "the resource", envelope_keys,
                          sizeof envelope_keys / sizeof envelope_keys[0]);

    dapt_resource r = {.kind = kind, .file = xstrdup(file), .pos = root->pos};
    switch (kind) {
    case DAPT_KIND_WORKFLOW:
        r.u.workflow = workflow_load(&lc, root, flat);
        break;
    case DAPT_KIND_CONFIG:
        r.u.config = config_load(&lc, root);
        break;
    case DAPT_KIND_TRIGGER_RULE:
        r.u.trigger = trigger_load(&lc, root);
        break;
    }
    /* counted from the list, since the YAML layer reports errors too */
    r.valid = dapt_diags_count(diags, DAPT_SEV_ERROR) == errors_before;
    bundle_push(b, r);
}

int dapt_load_buffer(dapt_bundle **out, const char *name, const char *buf, size_t len,
                     dapt_diags *diags)
{
    size_t errors_before = dapt_diags_count(diags, DAPT_SEV_ERROR);
    dapt_bundle *b = xcalloc(1, sizeof *b);
    ydocs docs;
    size_t nonempty = 0;

    ynode_parse(&docs, name, buf, len, diags);
    size_t *doc_of = xcalloc(docs.count + 1, sizeof *doc_of);
    for (size_t i = 0; i < docs.count; i++) {
        if (docs.docs[i].root == NULL || ynode_is_null(docs.docs[i].root))
            continue; /* "---" at the end, or a document of comments */
        nonempty++;
        size_t before = b->count;
        resource_load_doc(b, name, &docs.docs[i], diags);
        if (b->count > before)
            doc_of[before] = i;
    }
    resource_check_names(b, &docs, name, diags, doc_of);
    free(doc_of);
    if (nonempty == 0 && dapt_diags_count(diags, DAPT_SEV_ERROR) == errors_before) {
        dapt_diags_add(diags, name, (dapt_pos){1, 1}, DAPT_SEV_ERROR,
                       "no resource in this file: expected a document starting with "
                       "`kind: workflow`, `kind: config` or `kind: trigger_rule`");
    }
    ynode_docs_free(&docs);
    *out = b;
    return dapt_diags_count(diags, DAPT_SEV_ERROR) == errors_before ? 0 : -1;
}

/* Read a whole file.  The caller frees *buf. */
static int resource_read_file(char **buf, size_t *len, const char *path, char **cause)
{
    bool std_in = strcmp(path, "-") == 0; /* `dapt validate -` reads a pipe */
    FILE *f = std_in ? stdin : fopen(path, "rb");
    if (f == NULL) {
        *cause = xasprintf("cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        *cause = xstrdup("is a directory, not a YAML file");
        return -1;
    }
    strbuf sb = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_add(&sb, chunk, n);
    if (ferror(f)) {
        *cause = xasprintf("cannot read: %s", strerror(errno));
        if (!std_in)
            fclose(f);
        strbuf_free(&sb);
        return -1;
    }
    if (!std_in)
        fclose(f);
    *len = sb.len;
    *buf = strbuf_detach(&sb);
    return 0;
}

int dapt_load_file(dapt_bundle **out, const char *path, dapt_diags *diags)
{
    char *buf, *cause;
    size_t len;
    if (resource_read_file(&buf, &len, path, &cause) < 0) {
        dapt_diags_add(diags, path, (dapt_pos){0, 0}, DAPT_SEV_ERROR, "%s", cause);
        free(cause);
        *out = xcalloc(1, sizeof **out);
        return -1;
    }
    int rc = dapt_load_buffer(out, strcmp(path, "-") == 0 ? "<stdin>" : path, buf, len, diags);
    free(buf);
    return rc;
}

void dapt_bundle_free(dapt_bundle *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->count; i++) {
        dapt_resource *r = &b->items[i];
        switch (r->kind) {
        case DAPT_KIND_WORKFLOW:
            workflow_free(r->u.workflow);
            break;
        case DAPT_KIND_CONFIG:
            config_free(r->u.config);
            break;
        case DAPT_KIND_TRIGGER_RULE:
            trigger_free(r->u.trigger);
            break;
        }
        free(r->file);
    }
    free(b->items);
    free(b);
}

const dapt_workflow *dapt_bundle_workflow(const dapt_bundle *b)
{
    for (size_t i = 0; b != NULL && i < b->count; i++) {
        if (b->items[i].kind == DAPT_KIND_WORKFLOW)
            return b->items[i].u.workflow;
    }
    return NULL;
}
