"""
The link between server processes: length-prefixed MessagePack over TCP,
authenticated both ways with the shared server secret, watched by
heartbeats.  See L{rpg.link.protocol} and L{rpg.link.service}.
"""
