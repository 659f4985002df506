package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The seed corpora live in testdata/fuzz; these add the test's own
// documents so that a plain `go test` runs them too.

func FuzzDecodeYAML(f *testing.F) {
	f.Add([]byte(shopYAML))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := DecodeYAML(data)
		if err != nil {
			return
		}
		out, err := MarshalYAML(doc)
		if err != nil {
			t.Fatalf("marshal an accepted document: %v", err)
		}
		again, err := DecodeYAML(out)
		if err != nil {
			t.Fatalf("decode what marshal wrote: %v\n%s", err, out)
		}
		if diff := cmp.Diff(doc, again); diff != "" {
			t.Errorf("round trip mismatch (-first +second):\n%s\n%s", diff, out)
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	if out, err := MarshalJSON(shopDocument()); err == nil {
		f.Add(out)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := DecodeJSON(data)
		if err != nil {
			return
		}
		out, err := MarshalJSON(doc)
		if err != nil {
			t.Fatalf("marshal an accepted document: %v", err)
		}
		again, err := DecodeJSON(out)
		if err != nil {
			t.Fatalf("decode what marshal wrote: %v\n%s", err, out)
		}
		if diff := cmp.Diff(doc, again); diff != "" {
			t.Errorf("round trip mismatch (-first +second):\n%s\n%s", diff, out)
		}
	})
}
