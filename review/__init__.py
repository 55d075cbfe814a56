"""The review side: the queue workflow, policy, priority, read-side queries and the web app."""
