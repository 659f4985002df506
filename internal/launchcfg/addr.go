package launchcfg

import (
	"fmt"
	"net/netip"
)

// parseIPv4 returns s as an IPv4 address; IPv4-mapped IPv6 forms and
// zones are refused, since EC2 takes neither for a private IPv4 address.
func parseIPv4(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}

// parseCIDR returns an IPv4 subnet CIDR as its network prefix.
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%s is not an IPv4 CIDR", s)
	}
	return p.Masked(), nil
}

// reservedUse says why AWS keeps a in the subnet p to itself, or "" when
// it does not: the first four addresses and the last of every subnet are
// reserved. a must be inside p.
func reservedUse(p netip.Prefix, a netip.Addr) string {
	network := p.Addr()
	switch a {
	case network:
		return "the network address"
	case network.Next():
		return "reserved for the VPC router"
	case network.Next().Next():
		return "reserved for the Amazon DNS server"
	case network.Next().Next().Next():
		return "reserved by AWS for future use"
	case broadcast(p):
		return "the broadcast address"
	}
	return ""
}

// broadcast returns the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
