"""The rules of activities: publishing (`publishing`), the lists, searches, status
partitions and calendar (`listing`), and keywords (`keywords`)."""
