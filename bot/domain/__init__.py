"""Business rules: categories, roles and permissions, routing, deadlines, case states.

Handlers and the scheduler call these; nothing here touches HTTP or templates.
"""
