"""The Qt front end: widgets bind the engine and run its jobs on worker threads."""
