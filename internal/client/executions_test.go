package client

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
)

func TestReadEvents(t *testing.T) {
	errStop := errors.New("stop")
	tests := []struct {
		name    string
		stream  string
		stopAt  int64 // fn returns errStop at this seq
		want    []int64
		wantErr string
	}{
		{name: "events and comments",
			stream: ": keepalive\n\nid: 1\nevent: a\ndata: {\"seq\":1,\"type\":\"a\"}\n\n" +
				": keepalive\n\nid: 2\nevent: b\ndata: {\"seq\":2,\"type\":\"b\"}\n\n",
			want: []int64{1, 2}},
		{name: "data over two lines",
			stream: "data: {\"seq\":3,\ndata: \"type\":\"c\"}\n\n",
			want:   []int64{3}},
		{name: "empty stream", stream: "", want: nil},
		{name: "cut mid-event",
			stream:  "data: {\"seq\":1,\"type\":\"a\"}\n\ndata: {\"seq\":2",
			want:    []int64{1},
			wantErr: "cut in the middle"},
		{name: "bad JSON", stream: "data: {nope}\n\n", wantErr: "decode event"},
		{name: "callback stops",
			stream: "data: {\"seq\":1}\n\ndata: {\"seq\":2}\n\ndata: {\"seq\":3}\n\n",
			stopAt: 2, want: []int64{1, 2}, wantErr: "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			err := readEvents(bufio.NewScanner(strings.NewReader(tt.stream)), func(ev plan.Event) error {
				got = append(got, ev.Seq)
				if ev.Seq == tt.stopAt {
					return errStop
				}
				return nil
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
