/*
 * plugin-cache.c - what earlier scans found, so a warm start loads no plugin.
 *
 * The cache is one binary file, read with one read() and parsed in place:
 * every string is stored with its terminating NUL, so the infos handed out
 * point straight into the buffer, and the whole cache costs a handful of
 * allocations however many plugins and targets it holds (the discovery
 * benchmark opens 500 plugins of 20 targets in a few milliseconds).
 *
 * Layout (integers in host byte order: the file never leaves the machine,
 * and the byte-order mark makes a foreign one fail cleanly):
 *
 *     header   magic "DAPTPLC\n", u32 byte-order mark, u32 format version,
 *              u16 ABI major, u16 ABI minor, u64 body size,
 *              u64 checksum of the body
 *     body     u32 entries, targets, params, requirements (totals)
 *              str dapt version
 *              per entry:
 *                str path; str? key (NULL: the path);
 *                u64 size, i64 mtime_ns, u64 ino, u64 dev;
 *                u8 status; str? error;
 *                str name, version, description, author, license, url;
 *                u16 abi_major, abi_minor;
 *                u8 runtime; str? interpreter, module;
 *                u32 n, n x str requirement;
 *                u32 n, n x target:
 *                  str path, target; u8 kind; u32 flags; str doc, returns;
 *                  str? source, object, object_path;
 *                  u32 n, n x param: str name, type; u8 flags (1 required,
 *                                    2 keyword-only);
 *                                    str? default_json; str doc
 *
 * An entry is found by its key: a C plugin's is its path; a Python
 * plugin's (see python.c) also names its interpreter and plugin, since
 * one package folder can be the plugin of several.
 *
 * `str` is a u32 length, the bytes and a NUL; `str?` may be NULL, written
 * as the length 0xffffffff.  Anything that does not parse exactly (wrong
 * magic, version, checksum, a length past the end, a missing NUL, an
 * unknown status, totals that do not add up, bytes left over) makes the
 * whole file an empty cache:
 * the registry then rescans and rewrites it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine.h"

#define CACHE_MAGIC "DAPTPLC\n"
#define CACHE_MAGIC_LEN 8
#define CACHE_BOM 0x01020304u
/* Bump when the layout or the meaning of a cached result changes. */
#define CACHE_FORMAT 3
#define CACHE_HEADER_LEN (CACHE_MAGIC_LEN + 4 + 4 + 2 + 2 + 8 + 8)
#define CACHE_NULL_STR 0xffffffffu
/* A cache this large is not ours. */
#define CACHE_MAX_SIZE ((size_t)1 << 30)

struct plugin_cache {
    char *buf;               /* the file; strings point into it */
    dapt_plugin_info *infos; /* entries in file order */
    char **keys;             /* each entry's key (its path when none was written) */
    size_t count;
    /* One block each for all targets, params and requirement lists. */
    dapt_target_info *targets;
    dapt_param_info *params;
    char **requirements;
    size_t *slots; /* open addressing by path: index + 1, 0 = empty */
    size_t slot_mask;
};

/* ------------------------------------------------------------------ */
/* Checksum                                                            */
/* ------------------------------------------------------------------ */

/*
 * Four independent lanes of eight bytes, for speed on a few megabytes (the
 * multiplications do not wait for each other).  Each step is a bijection
 * of its lane (xor, multiply by an odd number, xor-shift), and the lanes
 * are folded in the same way, so damage confined to one word always
 * changes the result.  Not a defence against anyone: the file is the
 * user's own.
 */
#define MIX(h, w) ((h) = ((h) ^ (w)) * 0x100000001b3u, (h) ^= (h) >> 29)

uint64_t plugin_cache_checksum(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h[4] = {0x9e3779b97f4a7c15u ^ n, 0xc2b2ae3d27d4eb4fu, 0x165667b19e3779f9u,
                     0x27d4eb2f165667c5u};
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, 32);
        MIX(h[0], w[0]);
        MIX(h[1], w[1]);
        MIX(h[2], w[2]);
        MIX(h[3], w[3]);
    }
    for (size_t lane = 0; i < n; i += 8, lane++) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i < 8 ? n - i : 8);
        MIX(h[lane], w);
    }
    uint64_t sum = h[0];
    MIX(sum, h[1]);
    MIX(sum, h[2]);
    MIX(sum, h[3]);
    return sum;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

typedef struct reader {
    char *p;
    size_t pos, len;
} reader;

static int rd_bytes(reader *r, void *out, size_t n)
{
    if (r->len - r->pos < n)
        return -1;
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return 0;
}

static int rd_u8(reader *r, uint8_t *v)
{
    return rd_bytes(r, v, 1);
}

static int rd_u16(reader *r, uint16_t *v)
{
    return rd_bytes(r, v, 2);
}

static int rd_u32(reader *r, uint32_t *v)
{
    return rd_bytes(r, v, 4);
}

static int rd_u64(reader *r, uint64_t *v)
{
    return rd_bytes(r, v, 8);
}

/* A string in place; NULL only when `nullable`. */
static int rd_str(reader *r, char **out, bool nullable)
{
    uint32_t n;
    if (rd_u32(r, &n) < 0)
        return -1;
    if (n == CACHE_NULL_STR) {
        *out = NULL;
        return nullable ? 0 : -1;
    }
    if (r->len - r->pos < (size_t)n + 1 || r->p[r->pos + n] != '\0')
        return -1;
    *out = r->p + r->pos;
    r->pos += (size_t)n + 1;
    return 0;
}

/*
 * The blocks the entries' arrays come from, sized by the totals at the
 * start of the body (checked against what the entries hold, so a lie makes
 * the file damaged, never an overflow).
 */
typedef struct blocks {
    dapt_plugin_info *infos;
    dapt_target_info *targets;
    dapt_param_info *params;
    char **requirements;
    char **keys;
    uint32_t ninfos, ntargets, nparams, nrequirements; /* used */
    uint32_t cinfos, ctargets, cparams, crequirements; /* announced */
} blocks;

/* The least each item takes in the file: a string is at least 5 bytes
 * (length and NUL), a nullable one 4.  Totals beyond what the body could
 * hold are refused before anything is allocated for them. */
#define MIN_ENTRY (5 + 4 + 32 + 1 + 4 + 6 * 5 + 2 + 2 + 1 + 4 + 4 + 4 + 4)
#define MIN_TARGET (5 + 5 + 1 + 4 + 5 + 5 + 4 + 4 + 4 + 4)
#define MIN_PARAM (5 + 5 + 1 + 4 + 5)
#define MIN_REQUIREMENT 5

static int rd_param(reader *r, dapt_param_info *p)
{
    uint8_t required;
    if (rd_str(r, &p->name, false) < 0 || rd_str(r, &p->type, false) < 0 ||
        rd_u8(r, &required) < 0 || required > 3 || rd_str(r, &p->default_json, true) < 0 ||
        rd_str(r, &p->doc, false) < 0)
        return -1;
    p->required = required & 1;
    p->keyword_only = (required & 2) != 0;
    return 0;
}

static int rd_target(reader *r, dapt_target_info *t, blocks *b)
{
    uint8_t kind;
    uint32_t flags, n;
    if (rd_str(r, &t->path, false) < 0 || rd_str(r, &t->target, false) < 0 || rd_u8(r, &kind) < 0 ||
        kind > DAPT_TARGET_ACTION || rd_u32(r, &flags) < 0 || rd_str(r, &t->doc, false) < 0 ||
        rd_str(r, &t->returns, false) < 0 || rd_str(r, &t->source, true) < 0 ||
        rd_str(r, &t->object, true) < 0 || rd_str(r, &t->object_path, true) < 0 ||
        rd_u32(r, &n) < 0 || n > b->cparams - b->nparams)
        return -1;
    t->kind = (dapt_target_kind)kind;
    t->flags = flags;
    t->param_count = n;
    t->params = n ? b->params + b->nparams : NULL;
    for (uint32_t i = 0; i < n; i++)
        if (rd_param(r, &b->params[b->nparams++]) < 0)
            return -1;
    return 0;
}

static int rd_id(reader *r, dapt_file_id *id)
{
    uint64_t mtime;
    if (rd_u64(r, &id->size) < 0 || rd_u64(r, &mtime) < 0 || rd_u64(r, &id->ino) < 0 ||
        rd_u64(r, &id->dev) < 0)
        return -1;
    memcpy(&id->mtime_ns, &mtime, 8);
    return 0;
}

static int rd_entry(reader *r, dapt_plugin_info *info, char **key, blocks *b)
{
    uint8_t status, runtime;
    uint16_t major, minor;
    uint32_t n;
    if (rd_str(r, &info->path, false) < 0 || rd_str(r, key, true) < 0 ||
        rd_id(r, &info->id) < 0 || rd_u8(r, &status) < 0 || rd_str(r, &info->error, true) < 0)
        return -1;
    if (*key == NULL)
        *key = info->path;
    /* Only scan results are cached: ok without a reason, broken with one. */
    if (status == DAPT_PLUGIN_OK ? info->error != NULL
                                 : status != DAPT_PLUGIN_BROKEN || info->error == NULL)
        return -1;
    info->status = (dapt_plugin_status)status;
    char **strings[] = {&info->name,   &info->version, &info->description,
                        &info->author, &info->license, &info->url};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (rd_str(r, strings[i], false) < 0)
            return -1;
    if (rd_u16(r, &major) < 0 || rd_u16(r, &minor) < 0 || rd_u8(r, &runtime) < 0 ||
        runtime > DAPT_RUNTIME_PYTHON || rd_str(r, &info->interpreter, true) < 0 ||
        rd_str(r, &info->module, true) < 0 || rd_u32(r, &n) < 0 ||
        n > b->crequirements - b->nrequirements)
        return -1;
    info->runtime = (dapt_runtime)runtime;
    info->abi_major = major;
    info->abi_minor = minor;
    info->requirement_count = n;
    info->requirements = n ? b->requirements + b->nrequirements : NULL;
    for (uint32_t i = 0; i < n; i++)
        if (rd_str(r, &b->requirements[b->nrequirements++], false) < 0)
            return -1;
    if (rd_u32(r, &n) < 0 || n > b->ctargets - b->ntargets)
        return -1;
    info->target_count = n;
    info->targets = n ? b->targets + b->ntargets : NULL;
    for (uint32_t i = 0; i < n; i++) {
        dapt_target_info *t = &b->targets[b->ntargets++];
        if (rd_target(r, t, b) < 0)
            return -1;
        t->plugin = info;
    }
    return 0;
}

static int rd_totals(reader *r, blocks *b)
{
    if (rd_u32(r, &b->cinfos) < 0 || rd_u32(r, &b->ctargets) < 0 || rd_u32(r, &b->cparams) < 0 ||
        rd_u32(r, &b->crequirements) < 0)
        return -1;
    size_t left = r->len - r->pos;
    if (b->cinfos > left / MIN_ENTRY || b->ctargets > left / MIN_TARGET ||
        b->cparams > left / MIN_PARAM || b->crequirements > left / MIN_REQUIREMENT)
        return -1;
    b->infos = xcalloc(b->cinfos, sizeof *b->infos);
    b->targets = xcalloc(b->ctargets, sizeof *b->targets);
    b->params = xcalloc(b->cparams, sizeof *b->params);
    b->requirements = xcalloc(b->crequirements, sizeof *b->requirements);
    b->keys = xcalloc(b->cinfos, sizeof *b->keys);
    return 0;
}

static int rd_body(reader *r, blocks *b)
{
    char *version;
    if (rd_totals(r, b) < 0 || rd_str(r, &version, false) < 0 ||
        strcmp(version, PACKAGE_VERSION) != 0)
        return -1;
    while (b->ninfos < b->cinfos) {
        size_t i = b->ninfos++;
        if (rd_entry(r, &b->infos[i], &b->keys[i], b) < 0)
            return -1;
    }
    /* everything announced was there, and nothing else */
    return r->pos == r->len && b->ntargets == b->ctargets && b->nparams == b->cparams &&
                   b->nrequirements == b->crequirements
               ? 0
               : -1;
}

static int rd_header(reader *r)
{
    char magic[CACHE_MAGIC_LEN];
    uint32_t bom, format;
    uint16_t major, minor;
    uint64_t body_len, sum;
    if (rd_bytes(r, magic, CACHE_MAGIC_LEN) < 0 || memcmp(magic, CACHE_MAGIC, CACHE_MAGIC_LEN) ||
        rd_u32(r, &bom) < 0 || bom != CACHE_BOM || rd_u32(r, &format) < 0 ||
        format != CACHE_FORMAT || rd_u16(r, &major) < 0 || major != DAPT_PLUGIN_ABI_MAJOR ||
        rd_u16(r, &minor) < 0 || minor != DAPT_PLUGIN_ABI_MINOR || rd_u64(r, &body_len) < 0 ||
        rd_u64(r, &sum) < 0)
        return -1;
    if (body_len != r->len - r->pos || plugin_cache_checksum(r->p + r->pos, r->len - r->pos) != sum)
        return -1;
    return 0;
}

static int parse(plugin_cache *cache, size_t len)
{
    reader r = {cache->buf, 0, len};
    blocks b = {0};
    int rc = rd_header(&r) == 0 && rd_body(&r, &b) == 0 ? 0 : -1;
    /* the cache owns the blocks either way: cache_reset frees them */
    cache->infos = b.infos;
    cache->targets = b.targets;
    cache->params = b.params;
    cache->requirements = b.requirements;
    cache->keys = b.keys;
    cache->count = rc == 0 ? b.cinfos : 0;
    return rc;
}

/* The whole file in one malloc'd buffer, or NULL. */
static char *read_file(const char *file, size_t *len)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < CACHE_HEADER_LEN ||
        (uint64_t)st.st_size > CACHE_MAX_SIZE)
        goto fail;
    size_t size = (size_t)st.st_size, got = 0;
    buf = xmalloc(size + 1);
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        got += (size_t)n;
    }
    buf[size] = '\0';
    close(fd);
    *len = size;
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The index                                                           */
/* ------------------------------------------------------------------ */

static void index_build(plugin_cache *cache)
{
    size_t size = 16;
    while (size < cache->count * 2)
        size *= 2;
    cache->slots = xcalloc(size, sizeof *cache->slots);
    cache->slot_mask = size - 1;
    for (size_t i = 0; i < cache->count; i++) {
        const char *key = cache->keys[i];
        size_t h = hash_bytes(key, strlen(key)) & cache->slot_mask;
        while (cache->slots[h] != 0) {
            /* a key twice: the later entry is unreachable, harmlessly */
            if (strcmp(cache->keys[cache->slots[h] - 1], key) == 0)
                break;
            h = (h + 1) & cache->slot_mask;
        }
        if (cache->slots[h] == 0)
            cache->slots[h] = i + 1;
    }
}

static void cache_reset(plugin_cache *cache)
{
    free(cache->buf);
    free(cache->infos);
    free(cache->targets);
    free(cache->params);
    free(cache->requirements);
    free(cache->keys);
    free(cache->slots);
    memset(cache, 0, sizeof *cache);
}

plugin_cache *plugin_cache_load(const char *file)
{
    plugin_cache *cache = xcalloc(1, sizeof *cache);
    size_t len = 0;
    if (file && *file && (cache->buf = read_file(file, &len)) != NULL && parse(cache, len) < 0)
        cache_reset(cache);
    index_build(cache);
    return cache;
}

void plugin_cache_free(plugin_cache *cache)
{
    if (cache == NULL)
        return;
    cache_reset(cache);
    free(cache);
}

size_t plugin_cache_count(const plugin_cache *cache)
{
    return cache->count;
}

const dapt_plugin_info *plugin_cache_entry(const plugin_cache *cache, size_t i)
{
    return i < cache->count ? &cache->infos[i] : NULL;
}

static bool id_equal(const dapt_file_id *a, const dapt_file_id *b)
{
    return a->size == b->size && a->mtime_ns == b->mtime_ns && a->ino == b->ino && a->dev == b->dev;
}

const char *plugin_cache_entry_key(const plugin_cache *cache, size_t i)
{
    return i < cache->count ? cache->keys[i] : NULL;
}

const dapt_plugin_info *plugin_cache_lookup(const plugin_cache *cache, const char *key,
                                            const dapt_file_id *id)
{
    size_t h = hash_bytes(key, strlen(key)) & cache->slot_mask;
    for (; cache->slots[h] != 0; h = (h + 1) & cache->slot_mask) {
        size_t i = cache->slots[h] - 1;
        if (strcmp(cache->keys[i], key) == 0)
            return id_equal(&cache->infos[i].id, id) ? &cache->infos[i] : NULL;
    }
    return NULL;
}

bool plugin_cache_take(plugin_cache *cache, const char *key, const dapt_file_id *id,
                       dapt_plugin_info *out)
{
    const dapt_plugin_info *hit = plugin_cache_lookup(cache, key, id);
    if (hit == NULL)
        return false;
    *out = *hit;
    /* the targets are the cache's: this is where they are used now */
    for (size_t i = 0; i < out->target_count; i++)
        out->targets[i].plugin = out;
    return true;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static void wr_u8(strbuf *sb, uint8_t v)
{
    strbuf_add(sb, (const char *)&v, 1);
}

static void wr_u16(strbuf *sb, unsigned v)
{
    uint16_t x = (uint16_t)v;
    strbuf_add(sb, (const char *)&x, 2);
}

static void wr_u32(strbuf *sb, uint32_t v)
{
    strbuf_add(sb, (const char *)&v, 4);
}

static void wr_u64(strbuf *sb, uint64_t v)
{
    strbuf_add(sb, (const char *)&v, 8);
}

static void wr_str(strbuf *sb, const char *s)
{
    size_t n = strlen(s);
    if (n >= CACHE_NULL_STR)
        n = CACHE_NULL_STR - 1; /* absurd; keeps the file parseable */
    wr_u32(sb, (uint32_t)n);
    strbuf_add(sb, s, n);
    strbuf_putc(sb, '\0');
}

/* For the fields that may be NULL. */
static void wr_nstr(strbuf *sb, const char *s)
{
    if (s == NULL)
        wr_u32(sb, CACHE_NULL_STR);
    else
        wr_str(sb, s);
}

/* For the fields that are never NULL in a well-formed info: be lenient
 * with a half-filled one rather than write a file we would refuse. */
static void wr_ostr(strbuf *sb, const char *s)
{
    wr_str(sb, s ? s : "");
}

static void wr_target(strbuf *sb, const dapt_plugin_info *info, const dapt_target_info *t)
{
    wr_ostr(sb, t->path);
    if (t->target) {
        wr_str(sb, t->target);
    } else {
        char *full = xasprintf("%s.%s", info->name ? info->name : "", t->path ? t->path : "");
        wr_str(sb, full);
        free(full);
    }
    wr_u8(sb, t->kind <= DAPT_TARGET_ACTION ? (uint8_t)t->kind : DAPT_TARGET_STAGE);
    wr_u32(sb, t->flags);
    wr_ostr(sb, t->doc);
    wr_ostr(sb, t->returns);
    wr_nstr(sb, t->source);
    wr_nstr(sb, t->object);
    wr_nstr(sb, t->object_path);
    wr_u32(sb, (uint32_t)t->param_count);
    for (size_t i = 0; i < t->param_count; i++) {
        const dapt_param_info *p = &t->params[i];
        wr_ostr(sb, p->name);
        wr_ostr(sb, p->type);
        wr_u8(sb, (p->required ? 1 : 0) | (p->keyword_only ? 2 : 0));
        wr_nstr(sb, p->default_json);
        wr_ostr(sb, p->doc);
    }
}

static void wr_entry(strbuf *sb, const dapt_plugin_info *info, const char *key)
{
    bool ok = info->status == DAPT_PLUGIN_OK;
    wr_str(sb, info->path);
    wr_nstr(sb, key && strcmp(key, info->path) != 0 ? key : NULL);
    wr_u64(sb, info->id.size);
    uint64_t mtime;
    memcpy(&mtime, &info->id.mtime_ns, 8);
    wr_u64(sb, mtime);
    wr_u64(sb, info->id.ino);
    wr_u64(sb, info->id.dev);
    wr_u8(sb, ok ? DAPT_PLUGIN_OK : DAPT_PLUGIN_BROKEN);
    wr_nstr(sb, ok ? NULL : info->error ? info->error : "broken");
    const char *strings[] = {info->name,   info->version, info->description,
                             info->author, info->license, info->url};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        wr_ostr(sb, strings[i]);
    wr_u16(sb, info->abi_major);
    wr_u16(sb, info->abi_minor);
    wr_u8(sb, info->runtime == DAPT_RUNTIME_PYTHON ? DAPT_RUNTIME_PYTHON : DAPT_RUNTIME_C);
    wr_nstr(sb, info->interpreter);
    wr_nstr(sb, info->module);
    wr_u32(sb, (uint32_t)info->requirement_count);
    for (size_t i = 0; i < info->requirement_count; i++)
        wr_ostr(sb, info->requirements[i]);
    wr_u32(sb, (uint32_t)info->target_count);
    for (size_t i = 0; i < info->target_count; i++)
        wr_target(sb, info, &info->targets[i]);
}

/* Only scan results: a shadowed entry was never scanned. */
static bool cacheable(const dapt_plugin_info *info)
{
    return info->path != NULL && info->status != DAPT_PLUGIN_SHADOWED;
}

/* The whole file in memory: header, then the body. */
static void serialize(strbuf *out, const dapt_plugin_info *const *infos,
                      const char *const *keys, size_t count)
{
    uint32_t entries = 0, targets = 0, params = 0, requirements = 0;
    for (size_t i = 0; i < count; i++) {
        if (!cacheable(infos[i]))
            continue;
        entries++;
        requirements += (uint32_t)infos[i]->requirement_count;
        targets += (uint32_t)infos[i]->target_count;
        for (size_t t = 0; t < infos[i]->target_count; t++)
            params += (uint32_t)infos[i]->targets[t].param_count;
    }
    strbuf body = {0};
    wr_u32(&body, entries);
    wr_u32(&body, targets);
    wr_u32(&body, params);
    wr_u32(&body, requirements);
    wr_str(&body, PACKAGE_VERSION);
    for (size_t i = 0; i < count; i++)
        if (cacheable(infos[i]))
            wr_entry(&body, infos[i], keys ? keys[i] : NULL);
    strbuf_add(out, CACHE_MAGIC, CACHE_MAGIC_LEN);
    wr_u32(out, CACHE_BOM);
    wr_u32(out, CACHE_FORMAT);
    wr_u16(out, DAPT_PLUGIN_ABI_MAJOR);
    wr_u16(out, DAPT_PLUGIN_ABI_MINOR);
    wr_u64(out, body.len);
    wr_u64(out, plugin_cache_checksum(body.buf, body.len));
    strbuf_add(out, body.buf, body.len);
    strbuf_free(&body);
}

int plugin_cache_save(const char *file, const dapt_plugin_info *const *infos, size_t count,
                      char **error)
{
    return plugin_cache_save_keyed(file, infos, NULL, count, error);
}

int plugin_cache_save_keyed(const char *file, const dapt_plugin_info *const *infos,
                            const char *const *keys, size_t count, char **error)
{
    char *dir = xstrdup(file);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        free(dir);
        dir = xstrdup(".");
    } else {
        slash[slash == dir ? 1 : 0] = '\0';
    }
    char *tmp = NULL;
    strbuf data = {0};
    int fd = -1;
    if (fs_mkdir_p(dir, 0700) < 0) {
        *error = xasprintf("cannot create the folder %s: %s", dir, strerror(errno));
        goto fail;
    }
    tmp = xasprintf("%s/.plugins.cache.XXXXXX", dir);
    /* mkstemp makes the file 0600: the cache is nobody else's business */
    if ((fd = mkstemp(tmp)) < 0) {
        *error = xasprintf("cannot create a file in %s: %s", dir, strerror(errno));
        free(tmp);
        tmp = NULL;
        goto fail;
    }
    serialize(&data, infos, keys, count);
    if (fs_write_all(fd, data.buf, data.len) < 0 || fsync(fd) < 0) {
        *error = xasprintf("cannot write %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        *error = xasprintf("cannot write %s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, file) < 0) {
        *error = xasprintf("cannot rename %s to %s: %s", tmp, file, strerror(errno));
        goto fail;
    }
    strbuf_free(&data);
    free(tmp);
    free(dir);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    if (tmp)
        unlink(tmp);
    strbuf_free(&data);
    free(tmp);
    free(dir);
    return -1;
}
