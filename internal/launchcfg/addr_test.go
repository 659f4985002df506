package launchcfg

import (
	"net/netip"
	"testing"
)

func TestReservedUse(t *testing.T) {
	tests := []struct {
		cidr, ip string
		reserved bool
	}{
		{"10.10.1.0/24", "10.10.1.0", true},
		{"10.10.1.0/24", "10.10.1.1", true},
		{"10.10.1.0/24", "10.10.1.2", true},
		{"10.10.1.0/24", "10.10.1.3", true},
		{"10.10.1.0/24", "10.10.1.4", false},
		{"10.10.1.0/24", "10.10.1.254", false},
		{"10.10.1.0/24", "10.10.1.255", true},
		{"10.10.0.0/16", "10.10.1.0", false},
		{"10.10.0.0/16", "10.10.255.255", true},
		{"10.10.0.0/16", "10.10.0.3", true},
		{"172.16.5.16/28", "172.16.5.19", true},
		{"172.16.5.16/28", "172.16.5.20", false},
		{"172.16.5.16/28", "172.16.5.31", true},
		{"172.16.5.17/28", "172.16.5.16", true}, // CIDR given with host bits
	}
	for _, tt := range tests {
		p, err := parseCIDR(tt.cidr)
		if err != nil {
			t.Fatalf("parseCIDR(%q): %v", tt.cidr, err)
		}
		ip := netip.MustParseAddr(tt.ip)
		if !p.Contains(ip) {
			t.Fatalf("%s not in %s", ip, p)
		}
		if got := reservedUse(p, ip) != ""; got != tt.reserved {
			t.Errorf("reservedUse(%s, %s) reserved = %v, want %v", tt.cidr, tt.ip, got, tt.reserved)
		}
	}
}

func TestParseIPv4(t *testing.T) {
	for _, s := range []string{"10.0.0.1", "192.168.1.255"} {
		if _, ok := parseIPv4(s); !ok {
			t.Errorf("parseIPv4(%q) refused", s)
		}
	}
	for _, s := range []string{"", "10.0.0", "10.0.0.256", "::ffff:10.0.0.1", "fe80::1", "10.0.0.1/24", " 10.0.0.1"} {
		if _, ok := parseIPv4(s); ok {
			t.Errorf("parseIPv4(%q) accepted", s)
		}
	}
	if _, err := parseCIDR("fd00::/64"); err == nil {
		t.Error("parseCIDR accepted an IPv6 CIDR")
	}
}
