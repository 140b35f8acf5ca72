"""The service layer: each handler runs in its caller's unit of work (a transaction it never commits),
under the account's lock, and stages its events there (`common`: what they share; `submission`: new
letters and uploaded documents; `status`: service status changes; `holds`: cancel and expiry;
`dispatch`: sending accepted letters; `retention`: deleting idle documents; `requests`: what a letter
request must be before it may become a letter)."""
