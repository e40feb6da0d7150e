/* SPDX-License-Identifier: MIT */
/*
 * check_exports.c — `nm -D --defined-only` in a few lines: reads the
 * plugin file's dynamic symbol table (ELF of this machine's class) and
 * fails unless the only defined global symbol, linker markers aside, is
 * sealkv_plugin_v1 (the .pc file's -fvisibility=hidden and
 * SKV_PLUGIN_EXPORT give exactly that).
 */
#include "check.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_marker(const char *n)
{
    static const char *const m[] = {"_init", "_fini", "_edata", "_end", "__bss_start"};
    size_t i;
    for (i = 0; i < sizeof m / sizeof m[0]; i++)
        if (strcmp(n, m[i]) == 0)
            return 1;
    return 0;
}

/* Check every defined global/weak symbol of section `sh` (SHT_DYNSYM). */
static void scan_dynsym(struct chk *c, const unsigned char *img, size_t size,
                        const ElfW(Shdr) *shs, const ElfW(Shdr) *sh, unsigned shnum)
{
    const ElfW(Shdr) *str;
    size_t i, n;
    unsigned found = 0;
    if (sh->sh_link >= shnum || sh->sh_entsize != sizeof(ElfW(Sym)) ||
        sh->sh_offset + sh->sh_size > size ||
        shs[sh->sh_link].sh_offset + shs[sh->sh_link].sh_size > size) {
        chk_fail(c, "%s: malformed dynamic symbol table", c->file);
        return;
    }
    str = &shs[sh->sh_link];
    n = sh->sh_size / sizeof(ElfW(Sym));
    for (i = 1; i < n; i++) {
        const ElfW(Sym) *s = (const ElfW(Sym) *)(img + sh->sh_offset) + i;
        const char *name = (const char *)img + str->sh_offset + s->st_name;
        int bind = ELF64_ST_BIND(s->st_info);
        if (s->st_shndx == SHN_UNDEF || s->st_name >= str->sh_size ||
            (bind != STB_GLOBAL && bind != STB_WEAK) || is_marker(name))
            continue;
        if (strcmp(name, SKV_PLUGIN_ENTRY) == 0)
            found++;
        else
            chk_fail(c, "%s exports %s: only %s may be exported (build with "
                        "-fvisibility=hidden)", c->file, name, SKV_PLUGIN_ENTRY);
    }
    chk_expect(c, found == 1, "%s: %s is not in the dynamic symbol table", c->file,
               SKV_PLUGIN_ENTRY);
}

static void scan_image(struct chk *c, const unsigned char *img, size_t size)
{
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)img;
    const ElfW(Shdr) *shs;
    unsigned i;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
        eh->e_shentsize != sizeof(ElfW(Shdr)) ||
        eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > size) {
        chk_fail(c, "%s is not a shared object of this machine", c->file);
        return;
    }
    shs = (const ElfW(Shdr) *)(img + eh->e_shoff);
    for (i = 0; i < eh->e_shnum; i++)
        if (shs[i].sh_type == SHT_DYNSYM) {
            scan_dynsym(c, img, size, shs, &shs[i], eh->e_shnum);
            return;
        }
    chk_fail(c, "%s has no dynamic symbol table", c->file);
}

void chk_exports(struct chk *c)
{
    struct stat st;
    void *img;
    int fd = open(c->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
        chk_fail(c, "cannot read %s", c->file);
        if (fd >= 0)
            close(fd);
        return;
    }
    img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (img == MAP_FAILED) {
        chk_fail(c, "cannot map %s", c->file);
        return;
    }
    scan_image(c, img, (size_t)st.st_size);
    munmap(img, (size_t)st.st_size);
}
