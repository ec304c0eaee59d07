/*
 * replay.c - a main() for a libFuzzer entry, so `make check` builds the
 * fuzz targets with the project's compiler (no libFuzzer) and replays
 * inputs through them: every FILE argument, and every file of a FOLDER
 * argument, is given once to LLVMFuzzerTestOneInput.  Exit 0 when all
 * returned; a broken check aborts (exit 134), as under libFuzzer.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
        }
    }
    int failed = buf == NULL || ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int status = 0;
    size_t replayed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            if (d == NULL) {
                perror(argv[i]);
                status = 1;
                continue;
            }
            char **names = NULL;
            size_t count = 0;
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                char **more = realloc(names, (count + 1) * sizeof *names);
                if (more == NULL)
                    abort();
                names = more;
                names[count++] = strdup(e->d_name);
            }
            closedir(d);
            qsort(names, count, sizeof *names, name_cmp);
            for (size_t k = 0; k < count; k++) {
                size_t len = strlen(argv[i]) + strlen(names[k]) + 2;
                char *path = malloc(len);
                if (path == NULL)
                    abort();
                snprintf(path, len, "%s/%s", argv[i], names[k]);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                    if (replay_file(path) < 0)
                        status = 1;
                    else
                        replayed++;
                }
                free(path);
                free(names[k]);
            }
            free(names);
        } else if (replay_file(argv[i]) < 0) {
            status = 1;
        } else {
            replayed++;
        }
    }
    printf("%s: %zu inputs replayed\n", argv[0], replayed);
    return status;
}
