print("bench-pam: not written yet")
