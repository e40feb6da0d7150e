/* SPDX-License-Identifier: MIT */
/*
 * list.h — the intrusive doubly linked list every queue of the node uses
 * (inbox, reads, tracked requests): a struct skv_list embedded in the
 * element, skv_container_of to get back to it.
 */
#ifndef SKV_LIST_H
#define SKV_LIST_H

#include <stddef.h>

struct skv_list {
    struct skv_list *prev, *next;
};
static inline void skv_list_init(struct skv_list *l) { l->prev = l->next = l; }
static inline int skv_list_empty(const struct skv_list *l) { return l->next == l; }
static inline void skv_list_add_tail(struct skv_list *l, struct skv_list *e)
{
    e->prev = l->prev; e->next = l;
    l->prev->next = e; l->prev = e;
}
static inline void skv_list_del(struct skv_list *e)
{
    e->prev->next = e->next; e->next->prev = e->prev;
    e->prev = e->next = e;
}
#define skv_container_of(p, T, m) ((T *)((char *)(p) - offsetof(T, m)))

#endif /* SKV_LIST_H */
