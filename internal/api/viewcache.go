package api

import (
	"container/list"
	"sync"
)

// viewCacheBytes bounds the encoded execution views kept in memory.
const viewCacheBytes = 64 << 20

// viewCache keeps the encoded GET response of executions, keyed by
// execution ID and checked against the execution's Revision, which every
// commit to it moves on: a hit costs one header read instead of reading
// and encoding every launch. It holds at most max bytes of bodies and
// drops the least recently used first. It is safe for concurrent use.
type viewCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // of *cachedView, most recently used first
	byID  map[string]*list.Element
}

type cachedView struct {
	id       string
	revision int64
	body     []byte // never changed once cached
}

func newViewCache(max int) *viewCache {
	return &viewCache{max: max, order: list.New(), byID: make(map[string]*list.Element)}
}

// get returns the body of execution id at revision, if kept.
func (c *viewCache) get(id string, revision int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.byID[id]
	if el == nil {
		return nil, false
	}
	v := el.Value.(*cachedView)
	if v.revision != revision {
		return nil, false
	}
	c.order.MoveToFront(el)
	return v.body, true
}

// put keeps body as execution id at revision, replacing an older one. A
// body larger than the whole cache is not kept.
func (c *viewCache) put(id string, revision int64, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.byID[id]; el != nil {
		old := el.Value.(*cachedView)
		if old.revision > revision {
			return // a slower reader of an older revision
		}
		c.remove(el)
	}
	if len(body) > c.max {
		return
	}
	c.byID[id] = c.order.PushFront(&cachedView{id: id, revision: revision, body: body})
	c.size += len(body)
	for c.size > c.max {
		c.remove(c.order.Back())
	}
}

func (c *viewCache) remove(el *list.Element) {
	v := c.order.Remove(el).(*cachedView)
	delete(c.byID, v.id)
	c.size -= len(v.body)
}

// bytes reports the size of the bodies kept.
func (c *viewCache) bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
