package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEndpointFlags(t *testing.T) {
	tests := []struct {
		values []string
		want   endpointFlags
		bad    bool
	}{
		{values: []string{"111111111111=http://127.0.0.1:8091", "222222222222=http://127.0.0.1:8092"},
			want: endpointFlags{"111111111111": "http://127.0.0.1:8091", "222222222222": "http://127.0.0.1:8092"}},
		{values: []string{"111111111111=http://a:1, 222222222222=https://b"},
			want: endpointFlags{"111111111111": "http://a:1", "222222222222": "https://b"}},
		{values: []string{"1111=http://a"}, bad: true},
		{values: []string{"111111111111"}, bad: true},
		{values: []string{"111111111111=ftp://a"}, bad: true},
		{values: []string{"111111111111=http://"}, bad: true},
	}
	for _, tc := range tests {
		got := endpointFlags{}
		var err error
		for _, v := range tc.values {
			if err = got.Set(v); err != nil {
				break
			}
		}
		if tc.bad {
			if err == nil {
				t.Errorf("Set(%q) accepted", tc.values)
			}
			continue
		}
		if err != nil {
			t.Errorf("Set(%q): %v", tc.values, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Set(%q) mismatch (-want +got):\n%s", tc.values, diff)
		}
	}
}
