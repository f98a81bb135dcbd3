"""
Client addresses as the limits count them.
"""

import ipaddress


def address_key(host):
    """
    The key an address is counted under: the address itself, or for IPv6 its
    /64 network (one host commonly holds a whole /64).
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return str(host)
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def is_loopback(host):
    """Whether C{host} is this machine (127.0.0.0/8, ::1, or an IPv4-mapped loopback)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
